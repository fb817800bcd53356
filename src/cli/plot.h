// Pictures with cairo, as PNG or SVG by the file's extension: training curves with the one-cycle
// schedule, the learning-rate finder's curve, items on their first two principal components, and
// a search's trials against each tuned option.
#pragma once

#include <string>
#include <vector>

#include "train/fit.h"

namespace collab {

struct StepLoss {
  double epoch;  // fractional: 1.5 is halfway through the second epoch
  double loss;   // smoothed training loss
};

struct LabelledPoint {
  double x, y;
  std::string label;  // empty: drawn as a dot only
};

// Throws a usage error unless the path ends in .png or .svg.
void check_plot_path(const std::string& path);

// Each *_image draws in memory and returns the file's bytes, PNG or SVG by `path`'s extension
// (checked by check_plot_path); the caller writes them (files.h), so that a verb with two outputs
// can stage both before replacing either.
std::string training_plot_image(const std::string& path, const std::vector<StepLoss>& steps,
                                const std::vector<EpochRecord>& history, const TrainOptions& options);

std::string lr_find_plot_image(const std::string& path, const std::vector<double>& lrs,
                               const std::vector<double>& losses, double suggested_lr);

std::string points_plot_image(const std::string& path, const std::vector<LabelledPoint>& points,
                              const std::string& title, const std::string& x_label, const std::string& y_label);

// One tuned option against the search's metric, a dot per trial (y NaN: not drawn). A categorical
// option's x is the index of its value among `categories`, which label the axis; otherwise the
// axis spans [low, high] (the option's range or its list's extent) with a margin.
struct TrialSeries {
  std::string name;
  std::vector<double> x, y;
  double low = 0, high = 1;
  bool log_x = false;
  std::vector<std::string> categories;
};
// A panel per tuned option, then the best score so far against the trial number.
std::string tune_plot_image(const std::string& path, const std::vector<TrialSeries>& options,
                            const std::vector<double>& best_so_far, const std::string& metric);

// Image size of every plot, in pixels (PNG) or points (SVG).
constexpr int kPlotWidth = 800;
constexpr int kPlotHeight = 600;

}  // namespace collab
