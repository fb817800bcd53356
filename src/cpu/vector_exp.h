// e^x in float, in a form that vectorises: sparse mode computes many at once (the catch-up's
// factors, the batch's sigmoids). To a few units in the last place, against libm's half unit;
// 0 far below -87 and e^88 above 88. A loop of them becomes vector code only where comparisons
// are known not to trap (-fno-trapping-math), for the clamp.
#pragma once

#include <cstdint>

namespace collab {

// e^x as 2^n e^f with n = round(x / ln 2) and |f| <= ln(2) / 2, e^f by its Taylor series to f^7
// (the rest is under 1e-8 of it). No table and no branch, so a loop of them becomes vector code.
inline float exp_in_vector(float x) {
  x = x < -87.0f ? -87.0f : x > 88.0f ? 88.0f : x;  // keeps 2^n a normal float
  const float t = x * 1.44269504f;
  // Rounded half away from zero by a truncating conversion, which vectorises.
  const auto whole = static_cast<std::int32_t>(t + (t < 0 ? -0.5f : 0.5f));
  const auto n = static_cast<float>(whole);
  float f = x - n * 0.693145752f;  // ln 2 in two parts, so that n * ln 2 loses nothing
  f = f - n * 1.42860677e-6f;
  float e = 1.0f / 5040;
  e = e * f + 1.0f / 720;
  e = e * f + 1.0f / 120;
  e = e * f + 1.0f / 24;
  e = e * f + 1.0f / 6;
  e = e * f + 0.5f;
  e = e * f + 1.0f;
  e = e * f + 1.0f;
  const std::int32_t bits = (whole + 127) << 23;
  return e * __builtin_bit_cast(float, bits);
}

}  // namespace collab
