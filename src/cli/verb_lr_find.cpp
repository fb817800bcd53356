// `collab lr-find`: fastai's learning-rate range test on a fresh model from the pipeline.
#include <cstdio>

#include "cli/plot.h"
#include "output.h"
#include "support/error.h"
#include "support/files.h"
#include "support/interrupt.h"
#include "train/lr_find.h"
#include "training_options.h"
#include "verbs.h"

namespace collab::cli {
namespace {

struct LrFindVerbOptions {
  TrainingCommandOptions training;
  LrFindOptions finder;
  std::string format, plot;
};

void run_lr_find(const LrFindVerbOptions& o, const TrainingRequest& request) {
  if (!o.plot.empty()) {
    check_plot_path(o.plot);
    require_replaceable_output(o.plot, "plot");
  }
  if (!(o.finder.end_lr > o.finder.start_lr)) throw usage_error("--end-lr must be above --start-lr");
  stop_at_safe_points();
  auto run = prepare_training(request);
  announce_training(*run, request);
  const LrFindResult r = lr_find(*run->engine, run->split.train.size(), request.options, o.finder, &stop_requested());
  const LrSuggestions& s = r.suggestions;
  if (o.format == "json") {
    nlohmann::json j = {{"valley", s.valley}, {"minimum", s.minimum_div10}, {"steep", s.steepest},
                        {"suggested_lr", s.valley}, {"steps", r.lrs.size()}, {"diverged", r.diverged},
                        {"lrs", r.lrs}, {"losses", r.losses}};
    print_json(j);
  } else {
    print_line(format_table({"suggestion", "lr"},
                            {{"valley (suggested)", fixed(s.valley, 8)},
                             {"minimum/10", fixed(s.minimum_div10, 8)},
                             {"steep", fixed(s.steepest, 8)}},
                            {false, true}) +
               "\n" + std::to_string(r.lrs.size()) + " steps" + (r.diverged ? ", stopped when the loss diverged" : ""));
  }
  if (!o.plot.empty()) {
    write_file_atomically(o.plot, lr_find_plot_image(o.plot, r.lrs, r.losses, s.valley));
    std::fprintf(stderr, "collab: drew %s\n", o.plot.c_str());
  }
}

}  // namespace

void add_lr_find_verb(CLI::App& app) {
  auto o = std::make_shared<LrFindVerbOptions>();
  auto* verb = app.add_subcommand(
      "lr-find",
      "fastai's learning-rate range test on a fresh model: suggests a --lr for train; saves no model");
  add_training_options(verb, o->training);
  verb->add_option("--start-lr", o->finder.start_lr, "First learning rate")->check(positive_number())->capture_default_str();
  verb->add_option("--end-lr", o->finder.end_lr, "Last learning rate")->check(positive_number())->capture_default_str();
  verb->add_option("--num-it", o->finder.num_it, "Steps")->check(CLI::Range(20, 100000))->capture_default_str();
  add_format_option(verb, o->format, {"table", "json"});
  verb->add_option("--plot", o->plot, "Draw loss against learning rate to FILE.png or FILE.svg");
  verb->callback([o, verb] { run_lr_find(*o, training_request(verb, o->training)); });
}

}  // namespace collab::cli
