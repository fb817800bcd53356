// One function per verb: each adds its subcommand, options and callback to the app.
#pragma once

#include <CLI/CLI.hpp>

namespace collab::cli {

void add_download_verb(CLI::App& app);
void add_data_verb(CLI::App& app);
void add_train_verb(CLI::App& app);
void add_lr_find_verb(CLI::App& app);
void add_bias_verb(CLI::App& app);
void add_similar_verb(CLI::App& app);
void add_recommend_verb(CLI::App& app);
void add_predict_verb(CLI::App& app);
void add_factors_verb(CLI::App& app);
void add_split_verb(CLI::App& app);
void add_eval_verb(CLI::App& app);
void add_cv_verb(CLI::App& app);
void add_compare_verb(CLI::App& app);
void add_tune_verb(CLI::App& app);

}  // namespace collab::cli
