"""The command line both M·v peers take: the benchmark's network and sizes (ts/bench/peer.ts)."""
import argparse


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--dim", type=int, default=3)
    parser.add_argument("--width", type=int, default=100)
    parser.add_argument("--depth", type=int, default=3)
    parser.add_argument("--octaves", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    return parser.parse_args()
