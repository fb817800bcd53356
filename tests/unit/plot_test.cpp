#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "support/files.h"
#include "cli/plot.h"
#include "test_support.h"

using namespace collab;

namespace {
std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
std::uint32_t big_endian(const std::string& s, size_t at) {
  return (std::uint32_t(std::uint8_t(s[at])) << 24) | (std::uint32_t(std::uint8_t(s[at + 1])) << 16) |
         (std::uint32_t(std::uint8_t(s[at + 2])) << 8) | std::uint8_t(s[at + 3]);
}
// A PNG: the signature, then an IHDR chunk with the width and height.
void expect_png(const std::string& path) {
  const std::string b = read(path);
  ASSERT_GT(b.size(), 1000u) << path;
  EXPECT_EQ(b.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(b.substr(12, 4), "IHDR");
  EXPECT_EQ(big_endian(b, 16), static_cast<std::uint32_t>(kPlotWidth));
  EXPECT_EQ(big_endian(b, 20), static_cast<std::uint32_t>(kPlotHeight));
}
void expect_svg(const std::string& path) {
  const std::string b = read(path);
  EXPECT_NE(b.find("<svg"), std::string::npos);
  EXPECT_NE(b.find("width=\"800pt\""), std::string::npos);
  EXPECT_NE(b.find("height=\"600pt\""), std::string::npos);
  EXPECT_NE(b.find("</svg>"), std::string::npos);
}
}  // namespace

TEST(Plot, TrainingCurvesAsPngAndSvg) {
  const std::string dir = test_support::temp_dir("plot");
  std::vector<StepLoss> steps;
  for (int i = 1; i <= 50; ++i) steps.push_back({i / 10.0, 1.0 / (1 + i / 10.0)});
  std::vector<EpochRecord> history = {{0, 0.9, 0.95, 0.1, 0}, {1, 0.7, 0.8, 0.1, 0}, {2, 0.6, 0.75, 0.1, 0},
                                      {3, 0.5, 0.72, 0.1, 0}, {4, 0.45, 0.71, 0.1, 0}};
  TrainOptions o;
  write_file_atomically(dir + "/t.png", training_plot_image(dir + "/t.png", steps, history, o));
  write_file_atomically(dir + "/t.svg", training_plot_image(dir + "/t.svg", steps, history, o));
  expect_png(dir + "/t.png");
  expect_svg(dir + "/t.svg");
}

TEST(Plot, LrFinderAndPointsAsPng) {
  const std::string dir = test_support::temp_dir("plot2");
  std::vector<double> lrs, losses;
  for (int i = 0; i < 90; ++i) lrs.push_back(1e-7 * std::pow(10.0, i / 10.0)), losses.push_back(1.0 - i / 200.0);
  write_file_atomically(dir + "/lr.png", lr_find_plot_image(dir + "/lr.png", lrs, losses, 1e-3));
  expect_png(dir + "/lr.png");
  write_file_atomically(dir + "/p.svg",
                        points_plot_image(dir + "/p.svg", {{0, 0, "Amélie (2001)"}, {1, 2, ""}, {-1, 0.5, "X"}}, "t", "x", "y"));
  expect_svg(dir + "/p.svg");
}

TEST(Plot, OnlyPngAndSvgNamesAreAccepted) {
  EXPECT_EQ(test_support::expect_error([] { check_plot_path("x.jpg"); }).code(), ExitCode::usage);
}
