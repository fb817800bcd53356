#include <cstdio>
#include <optional>

#include "support/error.h"
#include "support/files.h"
#include "train/fit.h"
#include "support/interrupt.h"
#include "model/model_file.h"
#include "cli/plot.h"
#include "output.h"
#include "train_setup.h"
#include "verbs.h"

namespace collab::cli {
namespace {

void draw_progress(int epoch, int epochs, size_t done, size_t total, double loss) {
  const int width = 30;
  const int filled = static_cast<int>(static_cast<double>(width) * static_cast<double>(done) /
                                      static_cast<double>(total));
  std::fprintf(stderr, "\r  epoch %d/%d [%s%s] %zu/%zu  loss %.4f ", epoch + 1, epochs,
               std::string(static_cast<size_t>(filled), '#').c_str(),
               std::string(static_cast<size_t>(width - filled), ' ').c_str(), done, total, loss);
}

}  // namespace

void add_train_verb(CLI::App& app) {
  struct Options {
    TrainCommand command;
    std::string model, format, plot;
  };
  auto o = std::make_shared<Options>();
  auto* verb = app.add_subcommand(
      "train",
      "Train a model with fastai's one-cycle Adam; print a table per epoch; save the model.\n"
      "Defaults are fastai's and the seed notebook's: collab train --epochs 5 --lr 5e-3 --wd 0.1");
  TrainCommand& c = o->command;
  verb->add_option("--epochs", c.train.epochs, "Epochs")->check(CLI::Range(1, 1000000))->capture_default_str();
  verb->add_option("--lr", c.train.lr, "Peak learning rate of the one-cycle schedule")
      ->check(positive_number())->capture_default_str();
  add_training_options(verb, c);
  add_model_option(verb, o->model, "Where to save the model (written to a temporary name, then renamed)");
  add_format_option(verb, o->format, {"table", "json"});
  verb->add_option("--plot", o->plot, "Also draw losses and the one-cycle schedule to FILE.png or FILE.svg");
  verb->callback([o, verb] {
    TrainCommand& c = o->command;
    finish_training_options(verb, c);
    // Outputs that cannot be written are found before training, not after.
    require_replaceable_output(o->model, "model");
    if (!o->plot.empty()) {
      check_plot_path(o->plot);
      require_replaceable_output(o->plot, "plot");
    }
    stop_at_safe_points();
    auto run = prepare_run(c);

    const bool table = o->format == "table";
    if (table) print_line("epoch  train_loss  valid_loss  time");
    FitHooks hooks;
    hooks.stop = &stop_requested();
    hooks.on_epoch = [&](const EpochRecord& e) {
      if (stderr_is_terminal()) std::fprintf(stderr, "\r\033[K");
      if (table) {
        char line[128];
        std::snprintf(line, sizeof line, "%-5d  %-10.6f  %-10.6f  %.2fs", e.epoch, e.train_loss,
                      e.valid_loss, e.seconds);
        print_line(line);
      } else {
        print_json({{"epoch", e.epoch}, {"train_loss", e.train_loss}, {"valid_loss", e.valid_loss},
                    {"seconds", e.seconds}, {"rmse", std::sqrt(e.valid_loss)}, {"lr", e.lr}});
      }
    };
    std::vector<StepLoss> steps;
    if (stderr_is_terminal() || !o->plot.empty()) {
      hooks.progress_every = 20;
      hooks.on_progress = [&](int epoch, size_t done, size_t total, double loss) {
        if (!o->plot.empty())
          steps.push_back({epoch + static_cast<double>(done) / static_cast<double>(total), loss});
        if (stderr_is_terminal()) draw_progress(epoch, c.train.epochs, done, total, loss);
      };
    }
    std::vector<EpochRecord> history;
    try {
      history = fit_one_cycle(*run->engine, run->split.train.size(), c.train, hooks);
    } catch (const Interrupted&) {
      if (stderr_is_terminal()) std::fprintf(stderr, "\n");
      std::fprintf(stderr, "collab: interrupted; %s was not written\n", o->model.c_str());
      throw;
    }

    SavedModel model;
    model.shape = run->setup.shape;
    model.options = c.train;
    model.dataset = describe_dataset(c.data);
    model.device = run->engine->device_name();
    model.history = history;
    model.weights = run->engine->weights();
    index_training_rows(run->split.train, run->data.vocabulary.user_rows(), model);
    model.vocabulary = std::move(run->data.vocabulary);
    // Both outputs are written whole before either replaces an earlier file: a run that fails
    // here leaves the earlier model and plot as they were.
    std::optional<StagedFile> plot;
    if (!o->plot.empty()) plot.emplace(o->plot, training_plot_image(o->plot, steps, history, c.train));
    StagedFile saved(o->model, model_file_bytes(model));
    if (plot) plot->commit();
    saved.commit();
    std::fprintf(stderr, "collab: saved the model to %s\n", o->model.c_str());
    if (plot) std::fprintf(stderr, "collab: drew %s\n", o->plot.c_str());
  });
}

}  // namespace collab::cli
