// Thrown by long native loops (CG, fitting) when JavaScript asked them to stop; the bindings
// turn it into a rejected promise whose error is named 'AbortError'.
#pragma once
#include <stdexcept>

namespace nivp {

struct Cancelled : std::runtime_error {
  Cancelled() : std::runtime_error("cancelled") {}
};

}  // namespace nivp
