// How a sample-parallel run splits every sample set: share s of W holds ⌊n/W⌋ points, one more
// for s < n mod W, drawn from a stream of its own. A process of a distributed run draws its own
// share; a single process can draw all W of them and so reproduce the run on the union of the
// points (the tests compare the two).
#pragma once
#include <cstdint>
#include <vector>

namespace nivp {

struct SampleShares {
  int64_t count = 1;              // W
  std::vector<int64_t> drawn{0};  // the shares this process draws, in order

  int64_t size(int64_t total, int64_t share) const { return total / count + (share < total % count ? 1 : 0); }
  // The points this process holds of a set of `total`.
  int64_t local(int64_t total) const {
    int64_t n = 0;
    for (const int64_t s : drawn) n += size(total, s);
    return n;
  }
};

// The seed of share s's stream, from the one-process stream's seed: share 0 keeps it, so that a
// one-process run draws what it always drew; the others are spread by a 64-bit mix (splitmix64).
inline uint64_t shareSeed(uint64_t seed, int64_t share) {
  if (share == 0) return seed;
  uint64_t z = seed + 0x9e3779b97f4a7c15ull * static_cast<uint64_t>(share);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace nivp
