// `collab factors`: principal components of the item factors, as the book's PCA.
#include <algorithm>
#include <cstdio>
#include <optional>

#include "support/error.h"
#include "support/files.h"
#include "cli/plot.h"
#include "output.h"
#include "reading.h"
#include "verbs.h"

namespace collab::cli {
namespace {

struct FactorsVerbOptions {
  ReadingOptions read;
  int pca = 3;
  size_t most_rated = 1000;
  std::string out, plot;
  int labels = 40;
};

// The `top` items at the highest (or lowest) end of component c.
std::vector<RankedRow> extremes(const Model::Pca& pca, size_t top, int c, bool highest) {
  std::vector<size_t> idx(pca.items.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  const size_t k = std::min(top, idx.size());
  std::partial_sort(idx.begin(), idx.begin() + static_cast<long>(k), idx.end(), [&](size_t a, size_t b) {
    const double x = pca.coordinates[a][static_cast<size_t>(c)], y = pca.coordinates[b][static_cast<size_t>(c)];
    return highest ? x > y : x < y;
  });
  std::vector<RankedRow> out;
  for (size_t j = 0; j < k; ++j)
    out.push_back({pca.items[idx[j]].title, pca.coordinates[idx[j]][static_cast<size_t>(c)]});
  return out;
}

// Each component's explained variance and the items at its two ends, as --format asks.
void print_components(const FactorsVerbOptions& o, const Model::Pca& pca) {
  auto ends = [&](int c, bool highest) { return extremes(pca, o.read.top, c, highest); };
  if (o.read.format == "json") {
    nlohmann::json j = {{"items", pca.items.size()}, {"components", nlohmann::json::array()}};
    for (int c = 0; c < o.pca; ++c)
      j["components"].push_back({{"component", c + 1},
                                 {"explained_variance", pca.explained_variance[static_cast<size_t>(c)]},
                                 {"highest", ranked_json(ends(c, true), "title", "score")},
                                 {"lowest", ranked_json(ends(c, false), "title", "score")}});
    print_json(j);
  } else if (o.read.format == "tsv") {
    std::string out = "component\tside\trank\ttitle\tscore\n";
    for (int c = 0; c < o.pca; ++c)
      for (bool high : {true, false}) {
        const auto list = ends(c, high);
        for (size_t r = 0; r < list.size(); ++r)
          out += std::to_string(c + 1) + "\t" + (high ? "highest" : "lowest") + "\t" + std::to_string(r + 1) +
                 "\t" + tsv_field(list[r].name) + "\t" + fixed(list[r].value, 6) + "\n";
      }
    print_line(out.substr(0, out.size() - 1));
  } else {
    std::string out = "PCA of the factors of " + std::to_string(pca.items.size()) + " items\n";
    for (int c = 0; c < o.pca; ++c) {
      out += "\ncomponent " + std::to_string(c + 1) + " (" +
             fixed(100 * pca.explained_variance[static_cast<size_t>(c)], 1) + "% of the variance)\n";
      out += "highest\n" + ranked_table(ends(c, true), "title", "score", 3);
      out += "lowest\n" + ranked_table(ends(c, false), "title", "score", 3);
    }
    print_line(out.substr(0, out.size() - 1));
  }
}

// --out's TSV: every analysed item's title and coordinates.
std::string coordinates_tsv(const FactorsVerbOptions& o, const Model::Pca& pca) {
  std::string tsv = "title";
  for (int c = 0; c < o.pca; ++c) tsv += "\tpc" + std::to_string(c + 1);
  tsv += "\n";
  for (size_t i = 0; i < pca.items.size(); ++i) {
    tsv += tsv_field(pca.items[i].title);
    for (double v : pca.coordinates[i]) tsv += "\t" + fixed(v, 6);
    tsv += "\n";
  }
  return tsv;
}

void run_factors(const FactorsVerbOptions& o) {
  if (!o.plot.empty()) {
    if (o.pca < 2) throw usage_error("--plot needs --pca 2 or more");
    check_plot_path(o.plot);
    require_replaceable_output(o.plot, "plot");
  }
  if (!o.out.empty()) require_replaceable_output(o.out, "coordinates file");
  const Model::Pca pca = Model::load(o.read.model).pca(o.pca, o.most_rated);
  print_components(o, pca);
  // Both outputs are made whole before either replaces an earlier file.
  std::optional<StagedFile> out, plot;
  if (!o.out.empty()) out.emplace(o.out, coordinates_tsv(o, pca));
  if (!o.plot.empty()) {
    std::vector<LabelledPoint> pts;
    for (size_t i = 0; i < pca.items.size(); ++i)  // items come most-rated first: label those
      pts.push_back({pca.coordinates[i][0], pca.coordinates[i][1],
                     static_cast<int>(i) < o.labels ? pca.items[i].title : ""});
    plot.emplace(o.plot, points_plot_image(o.plot, pts, "Items on the first two principal components of their factors",
                                            "component 1", "component 2"));
  }
  if (out) out->commit();
  if (plot) plot->commit();
  if (out) std::fprintf(stderr, "collab: wrote %s\n", o.out.c_str());
  if (plot) std::fprintf(stderr, "collab: drew %s\n", o.plot.c_str());
}

}  // namespace

void add_factors_verb(CLI::App& app) {
  auto o = std::make_shared<FactorsVerbOptions>();
  auto* verb = app.add_subcommand(
      "factors", "Principal components of the item factors, with the titles at each end (the book's PCA)");
  add_reading_options(verb, o->read, 5, false);
  verb->add_option("--pca", o->pca, "Components")->check(CLI::PositiveNumber)->capture_default_str();
  verb->add_option("--most-rated", o->most_rated,
                   "Analyse the items with the most training ratings (0: every trained item)")
      ->capture_default_str();
  verb->add_option("--out", o->out, "Write every analysed item's coordinates to FILE.tsv");
  verb->add_option("--plot", o->plot, "Draw the items on the first two components to FILE.png or FILE.svg");
  verb->add_option("--labels", o->labels, "Titles labelled on the plot")->capture_default_str();
  verb->callback([o] { run_factors(*o); });
}

}  // namespace collab::cli
