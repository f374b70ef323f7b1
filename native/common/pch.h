// Precompiled header: the libtorch headers every native translation unit uses.
#pragma once
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/torch.h>
