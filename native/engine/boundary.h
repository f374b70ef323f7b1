// The zero-Dirichlet boundary factor B(s) = prod_i (1 − a_i s_i²), a_i 1 along a Dirichlet axis and
// 0 along another, and its spatial jets, and the product rule that turns the subnetwork's jets m into those
// of y = B·m.
#pragma once
#include <ATen/ATen.h>

#include "engine/jets.h"
#include "engine/network.h"

namespace nivp {

// Shapes follow Channels with a trailing width of 1: value c×1, tangent D×c×1, pairs P×c×1, lap c×1.
struct BoundaryJets {
  Channels jets;
};

// `dirichletAxes` holds a_i (D entries), or is undefined when every axis is Dirichlet.
BoundaryJets boundaryJets(const at::Tensor& s, const at::Tensor& axisScale, const at::Tensor& dirichletAxes,
                          const JetRequest& request);
Channels applyBoundary(const BoundaryJets& B, const Channels& m, const JetRequest& request);

}  // namespace nivp
