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

#include "cpu/bpr_step.h"
#include "train/engine.h"

namespace collab {

std::unique_ptr<TrainingEngine> make_bpr_engine(const EngineSetup& setup);

}  // namespace collab
