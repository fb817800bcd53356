// --loss bpr: Bayesian personalised ranking (Rendle, Freudenthaler, Gantner and Schmidt-Thieme
// 2009) for dot and dot-bias on the CPU engine's rows and optimizers. Each positive training
// interaction (u, i) of a batch is paired with --negatives items j drawn uniformly from the
// trained items u has no positive interaction with; a triple's loss is
//   -log sigmoid(x_ui - x_uj),  x_ui = p_u . q_i (+ b_i; b_u cancels)
// averaged over the batch's triples, and the batch's gradient goes through exact mode's or
// sparse mode's Adam (update_policies.h) with the one-cycle schedule, as the rating loss does.
//
// The negatives are drawn in batch order from one generator seeded by --seed: the same seed
// trains the same model, whatever --threads. Users with no positive interaction, or positive on
// every trained item, have no triple (counted in a note).
#pragma once

#include <memory>

#include "train/engine.h"

namespace collab {

// One triple's loss and its gradient (the unit tests hold it to finite differences): pu, qi,
// qj are k factors; with biases bi, bj. Adds d loss / d param, times `scale`, into gu, gi, gj
// (k floats each, then the bias at [k] when has_bias).
float bpr_triple(const float* pu, const float* qi, const float* qj, size_t k, bool has_bias, float bi, float bj,
                 float scale, float* gu, float* gi, float* gj);

std::unique_ptr<TrainingEngine> make_bpr_engine(const EngineSetup& setup);

}  // namespace collab
