#include "cli/plot.h"

#include <cairo-svg.h>
#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <vector>

#include "support/error.h"
#include "train/one_cycle.h"

namespace collab {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A picture drawn in memory, as PNG or SVG by the file name's extension; finish() gives its bytes,
// which the caller writes through write_file_atomically (or stages beside a model).
class Canvas {
 public:
  explicit Canvas(const std::string& path) : svg_(ends_with(path, ".svg")) {
    surface_ = svg_ ? cairo_svg_surface_create_for_stream(append_bytes, &bytes_, kPlotWidth, kPlotHeight)
                    : cairo_image_surface_create(CAIRO_FORMAT_ARGB32, kPlotWidth, kPlotHeight);
    if (cairo_surface_status(surface_) != CAIRO_STATUS_SUCCESS)
      throw internal_error("cairo cannot create a surface for " + path);
    cr_ = cairo_create(surface_);
    cairo_set_source_rgb(cr_, 1, 1, 1);
    cairo_paint(cr_);
    cairo_select_font_face(cr_, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  }
  ~Canvas() {
    if (cr_) cairo_destroy(cr_);
    if (surface_) cairo_surface_destroy(surface_);
  }
  cairo_t* cr() { return cr_; }
  std::string finish() {
    cairo_status_t status;
    if (svg_) {
      cairo_surface_finish(surface_);
      status = cairo_surface_status(surface_);
    } else {
      status = cairo_surface_write_to_png_stream(surface_, append_bytes, &bytes_);
    }
    if (status != CAIRO_STATUS_SUCCESS)
      throw internal_error(std::string("cairo could not draw the picture: ") + cairo_status_to_string(status));
    return std::move(bytes_);
  }

 private:
  static cairo_status_t append_bytes(void* out, const unsigned char* data, unsigned int length) {
    static_cast<std::string*>(out)->append(reinterpret_cast<const char*>(data), length);
    return CAIRO_STATUS_SUCCESS;
  }
  bool svg_ = false;
  std::string bytes_;
  cairo_surface_t* surface_ = nullptr;
  cairo_t* cr_ = nullptr;
};

struct Rgb {
  double r, g, b;
};
const Rgb kBlue{0.12, 0.47, 0.71}, kOrange{1.0, 0.5, 0.05}, kRed{0.84, 0.15, 0.16}, kGrey{0.5, 0.5, 0.5};

std::string tick_text(double v, bool log_scale) {
  char buf[32];
  if (log_scale) std::snprintf(buf, sizeof buf, "1e%d", static_cast<int>(std::lround(std::log10(v))));
  else std::snprintf(buf, sizeof buf, "%.3g", std::fabs(v) < 1e-12 ? 0.0 : v);
  return buf;
}

// One panel: data ranges mapped onto a rectangle of the canvas, with axes, ticks and labels.
class Panel {
 public:
  Panel(cairo_t* cr, double x, double y, double w, double h, double xmin, double xmax, double ymin,
        double ymax, bool log_x = false)
      : cr_(cr), x_(x), y_(y), w_(w), h_(h), log_x_(log_x) {
    if (log_x) xmin = std::log10(xmin), xmax = std::log10(xmax);
    if (!(xmax > xmin)) xmax = xmin + 1;
    if (!(ymax > ymin)) ymax = ymin + 1;
    const double pad = (ymax - ymin) * 0.05;
    xmin_ = xmin, xmax_ = xmax, ymax_ = ymax + pad;
    ymin_ = ymin >= 0 ? std::max(0.0, ymin - pad) : ymin - pad;  // no negative ticks for positive data
  }
  double px(double v) const { return x_ + ((log_x_ ? std::log10(v) : v) - xmin_) / (xmax_ - xmin_) * w_; }
  double py(double v) const { return y_ + h_ - (v - ymin_) / (ymax_ - ymin_) * h_; }

  void axes(const std::string& title, const std::string& xlabel, const std::string& ylabel) {
    cairo_set_source_rgb(cr_, 0, 0, 0);
    cairo_set_line_width(cr_, 1);
    cairo_rectangle(cr_, x_, y_, w_, h_);
    cairo_stroke(cr_);
    cairo_set_font_size(cr_, 11);
    std::vector<double> ticks;  // every decade (or every other) on a log axis, else six even steps
    for (size_t i = 0; i < categories_.size(); ++i) text(categories_[i], px(static_cast<double>(i)), y_ + h_ + 16, 0.5);
    if (!categories_.empty()) {
    } else if (log_x_) {
      const int step = xmax_ - xmin_ > 8 ? 2 : 1;
      for (int d = static_cast<int>(std::ceil(xmin_)); d <= static_cast<int>(std::floor(xmax_)); d += step) ticks.push_back(d);
    } else {
      for (int t = 0; t <= 5; ++t) ticks.push_back(xmin_ + (xmax_ - xmin_) * t / 5.0);
    }
    for (double v : ticks) {
      const double x = x_ + (v - xmin_) / (xmax_ - xmin_) * w_;
      if (x < x_ - 0.5 || x > x_ + w_ + 0.5) continue;
      text(tick_text(log_x_ ? std::pow(10.0, v) : v, log_x_), x, y_ + h_ + 16, 0.5);
      line(x, y_ + h_, x, y_ + h_ + 4);
    }
    for (int t = 0; t <= 4; ++t) {  // y ticks
      const double v = ymin_ + (ymax_ - ymin_) * t / 4.0;
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.3g", v);
      text(buf, x_ - 6, py(v) + 4, 1.0);
      line(x_ - 4, py(v), x_, py(v));
    }
    cairo_set_font_size(cr_, 14);
    text(title, x_ + w_ / 2, y_ - 10, 0.5);
    cairo_set_font_size(cr_, 12);
    text(xlabel, x_ + w_ / 2, y_ + h_ + 34, 0.5);
    cairo_save(cr_);
    cairo_translate(cr_, x_ - 48, y_ + h_ / 2);
    cairo_rotate(cr_, -M_PI / 2);
    text(ylabel, 0, 0, 0.5);
    cairo_restore(cr_);
  }

  // Names the x positions 0, 1, ... in place of numeric ticks.
  void categories(std::vector<std::string> names) { categories_ = std::move(names); }

  void polyline(const std::vector<double>& xs, const std::vector<double>& ys, Rgb c, double width = 1.6) {
    cairo_set_source_rgb(cr_, c.r, c.g, c.b);
    cairo_set_line_width(cr_, width);
    bool started = false;
    for (size_t i = 0; i < xs.size(); ++i) {
      if (!std::isfinite(ys[i])) continue;
      if (!started) cairo_move_to(cr_, px(xs[i]), py(ys[i]));
      else cairo_line_to(cr_, px(xs[i]), py(ys[i]));
      started = true;
    }
    cairo_stroke(cr_);
  }

  void dot(double x, double y, Rgb c, double radius) {
    cairo_set_source_rgb(cr_, c.r, c.g, c.b);
    cairo_arc(cr_, px(x), py(y), radius, 0, 2 * M_PI);
    cairo_fill(cr_);
  }

  void legend(const std::vector<std::pair<std::string, Rgb>>& entries) {
    cairo_set_font_size(cr_, 11);
    double y = y_ + 16;
    for (const auto& [name, c] : entries) {
      cairo_set_source_rgb(cr_, c.r, c.g, c.b);
      line(x_ + w_ - 130, y - 4, x_ + w_ - 110, y - 4, 2.5);
      cairo_set_source_rgb(cr_, 0, 0, 0);
      text(name, x_ + w_ - 104, y, 0.0);
      y += 16;
    }
  }

  void text(const std::string& s, double x, double y, double anchor) {
    cairo_text_extents_t e;
    cairo_text_extents(cr_, s.c_str(), &e);
    cairo_move_to(cr_, x - anchor * e.x_advance, y);
    cairo_show_text(cr_, s.c_str());
  }
  void line(double x0, double y0, double x1, double y1, double width = 1) {
    cairo_set_line_width(cr_, width);
    cairo_move_to(cr_, x0, y0);
    cairo_line_to(cr_, x1, y1);
    cairo_stroke(cr_);
  }

 private:
  cairo_t* cr_;
  double x_, y_, w_, h_;
  bool log_x_;
  double xmin_ = 0, xmax_ = 1, ymin_ = 0, ymax_ = 1;
  std::vector<std::string> categories_;
};

std::pair<double, double> finite_range(const std::vector<double>& a, const std::vector<double>& b = {}) {
  double lo = INFINITY, hi = -INFINITY;
  for (const auto* v : {&a, &b})
    for (double x : *v)
      if (std::isfinite(x)) lo = std::min(lo, x), hi = std::max(hi, x);
  if (!std::isfinite(lo)) return {0, 1};
  return {lo, hi};
}

}  // namespace

void check_plot_path(const std::string& path) {
  if (!ends_with(path, ".png") && !ends_with(path, ".svg"))
    throw usage_error("--plot: '" + path + "' must end in .png or .svg");
}

std::string training_plot_image(const std::string& path, const std::vector<StepLoss>& steps,
                                const std::vector<EpochRecord>& history, const TrainOptions& o) {
  check_plot_path(path);
  Canvas canvas(path);
  const double epochs = std::max(1, o.epochs);
  std::vector<double> sx, sy, ex, ev, et;
  for (const auto& s : steps) sx.push_back(s.epoch), sy.push_back(s.loss);
  for (const auto& e : history) ex.push_back(e.epoch + 1.0), ev.push_back(e.valid_loss), et.push_back(e.train_loss);
  auto [lo, hi] = finite_range(sy, ev);
  Panel losses(canvas.cr(), 80, 40, kPlotWidth - 110, 300, 0, epochs, lo, hi);
  losses.axes("Training", "epoch", "loss (MSE)");
  losses.polyline(sx, sy, kBlue);
  losses.polyline(ex, ev, kOrange, 2.2);
  for (size_t i = 0; i < ex.size(); ++i) losses.dot(ex[i], ev[i], kOrange, 3.5);
  losses.legend({{"train (smoothed)", kBlue}, {"valid", kOrange}});

  // The one-cycle learning rate, second panel.
  const OneCycle cycle{o.lr};
  std::vector<double> px, py;
  for (int i = 0; i <= 200; ++i) px.push_back(epochs * i / 200.0), py.push_back(cycle.lr(i / 200.0));
  Panel lr(canvas.cr(), 80, 420, kPlotWidth - 110, 130, 0, epochs, 0, o.lr);
  lr.axes("One-cycle learning rate", "epoch", "lr");
  lr.polyline(px, py, kRed);
  return canvas.finish();
}

std::string lr_find_plot_image(const std::string& path, const std::vector<double>& lrs,
                  const std::vector<double>& losses, double suggested_lr) {
  check_plot_path(path);
  if (lrs.empty()) throw data_error("the learning-rate finder recorded no losses to plot");
  Canvas canvas(path);
  auto [lo, hi] = finite_range(losses);
  Panel p(canvas.cr(), 80, 50, kPlotWidth - 110, kPlotHeight - 120, lrs.front(), lrs.back(), lo, hi, true);
  p.axes("Learning rate finder", "learning rate (log scale)", "smoothed loss");
  p.polyline(lrs, losses, kBlue);
  // The suggestion, marked on the curve.
  size_t at = 0;
  for (size_t i = 0; i < lrs.size(); ++i)
    if (std::fabs(std::log(lrs[i] / suggested_lr)) < std::fabs(std::log(lrs[at] / suggested_lr))) at = i;
  p.dot(lrs[at], losses[at], kRed, 5);
  cairo_set_source_rgb(canvas.cr(), kRed.r, kRed.g, kRed.b);
  char label[64];
  std::snprintf(label, sizeof label, "valley: %.2e", suggested_lr);
  p.text(label, p.px(lrs[at]) + 8, p.py(losses[at]) - 8, 0.0);
  return canvas.finish();
}

std::string points_plot_image(const std::string& path, const std::vector<LabelledPoint>& points,
                 const std::string& title, const std::string& x_label, const std::string& y_label) {
  check_plot_path(path);
  Canvas canvas(path);
  std::vector<double> xs, ys;
  for (const auto& p : points) xs.push_back(p.x), ys.push_back(p.y);
  auto [xlo, xhi] = finite_range(xs);
  auto [ylo, yhi] = finite_range(ys);
  Panel p(canvas.cr(), 80, 50, kPlotWidth - 110, kPlotHeight - 120, xlo, xhi, ylo, yhi);
  p.axes(title, x_label, y_label);
  for (const auto& pt : points) p.dot(pt.x, pt.y, pt.label.empty() ? kGrey : kBlue, pt.label.empty() ? 1.8 : 3.5);
  cairo_set_font_size(canvas.cr(), 10);
  cairo_set_source_rgb(canvas.cr(), 0.1, 0.1, 0.1);
  for (const auto& pt : points) {
    if (pt.label.empty()) continue;
    cairo_text_extents_t e;
    cairo_text_extents(canvas.cr(), pt.label.c_str(), &e);
    const bool fits_right = p.px(pt.x) + 5 + e.x_advance < kPlotWidth - 5;  // else label to the left
    p.text(pt.label, p.px(pt.x) + (fits_right ? 5 : -5), p.py(pt.y) - 4, fits_right ? 0.0 : 1.0);
  }
  return canvas.finish();
}

std::string tune_plot_image(const std::string& path, const std::vector<TrialSeries>& options,
                            const std::vector<double>& best_so_far, const std::string& metric) {
  check_plot_path(path);
  Canvas canvas(path);
  const size_t panels = options.size() + 1;
  const size_t cols = panels <= 2 ? panels : static_cast<size_t>(std::ceil(std::sqrt(static_cast<double>(panels))));
  const size_t rows = (panels + cols - 1) / cols;
  const double cell_w = static_cast<double>(kPlotWidth) / static_cast<double>(cols);
  const double cell_h = static_cast<double>(kPlotHeight) / static_cast<double>(rows);
  std::vector<double> all_y = best_so_far;
  for (const TrialSeries& o : options) all_y.insert(all_y.end(), o.y.begin(), o.y.end());
  const auto [ylo, yhi] = finite_range(all_y);
  for (size_t i = 0; i < panels; ++i) {
    const double x0 = static_cast<double>(i % cols) * cell_w + 70, y0 = static_cast<double>(i / cols) * cell_h + 30;
    const double w = cell_w - 90, h = cell_h - 80;
    if (i == options.size()) {  // the best so far
      std::vector<double> trial;
      for (size_t t = 0; t < best_so_far.size(); ++t) trial.push_back(static_cast<double>(t));
      Panel p(canvas.cr(), x0, y0, w, h, 0, std::max(1.0, trial.empty() ? 1.0 : trial.back()), ylo, yhi);
      p.axes("best so far", "trial", metric);
      p.polyline(trial, best_so_far, kOrange, 2.2);
      continue;
    }
    const TrialSeries& o = options[i];
    const bool categorical = !o.categories.empty();
    double xlo = -0.5, xhi = static_cast<double>(o.categories.size()) - 0.5;
    if (!categorical && o.log_x && o.low > 0) {  // a 5% margin each side, on the log scale
      const double margin = o.high > o.low ? std::pow(o.high / o.low, 0.05) : 2.0;
      xlo = o.low / margin, xhi = o.high * margin;
    } else if (!categorical) {
      const double margin = o.high > o.low ? (o.high - o.low) * 0.05 : 0.5;
      xlo = o.low - margin, xhi = o.high + margin;
    }
    Panel p(canvas.cr(), x0, y0, w, h, xlo, xhi, ylo, yhi, o.log_x && xlo > 0);
    if (categorical) p.categories(o.categories);
    p.axes(o.name, o.name + (o.log_x && xlo > 0 ? " (log scale)" : ""), metric);
    for (size_t t = 0; t < o.x.size(); ++t)
      if (std::isfinite(o.y[t])) p.dot(o.x[t], o.y[t], kBlue, 3.5);
  }
  return canvas.finish();
}

}  // namespace collab
