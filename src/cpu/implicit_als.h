// --optimizer als with --implicit: weighted ALS for implicit feedback (Hu, Koren and Volinsky
// 2008). Every user-item cell has preference p = 1 for a positive interaction, else 0, and
// confidence c = 1 + alpha * rating for a positive, else 1; a pass minimises
//   sum over cells of c (p - x_u . y_i)^2 + lambda (|x_u|^2 + |y_i|^2)
// over every user row, then every item row, each with the other side fixed. A row's normal
// equations are
//   (Y^T Y + lambda I + sum over its positives of (c - 1) y_i y_i^T) x = sum over its positives of c y_i
// Y^T Y is computed once a half-pass (the Gram-matrix trick), so a row costs its own positives,
// and the system is solved approximately by a few conjugate-gradient steps from the row's
// current value (Takacs, Pilaszy and Tikk 2011), as the implicit library does.
//
// Rows are solved independently, shared over threads row by row: the bits do not depend on
// the thread count. Users with a training rating but no positive one keep their initial
// factors (counted in a note); rows never seen in training keep theirs too. The row kernels are
// in cpu/als_kernels.h.
#pragma once

#include <memory>

#include "train/engine.h"

namespace collab {

std::unique_ptr<TrainingEngine> make_implicit_als_engine(const EngineSetup& setup);

}  // namespace collab
