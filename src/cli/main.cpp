// `collab`: parses the command line and turns every failure into one line and an exit code.
#include <cstdio>
#include <exception>
#include <new>

#include "support/error.h"
#include "support/interrupt.h"
#include "support/utf8.h"
#include "about.h"
#include "launcher.h"
#include "verbs.h"

int main(int argc, char** argv) {
  using collab::ExitCode;
  collab::install_interrupt_handler();
  collab::cli::remember_command_line(argc, argv);
  CLI::App app{
      "collab: collaborative filtering on MovieLens, the fastai way, from the shell.\n"
      "Exit codes: 0 ok, 64 usage, 65 bad data, 66 missing input, 69 network or device "
      "unavailable, 70 internal error, 73 cannot write, 130/143/129 stopped by SIGINT/SIGTERM/SIGHUP.",
      "collab"};
  app.set_version_flag("--version", collab::cli::version_report,
                       "The version, the LibTorch it was built against, and whether CUDA and AVX2 are here");
  app.require_subcommand(1, 1);
  app.fallthrough(false);
  collab::cli::add_download_verb(app);
  collab::cli::add_data_verb(app);
  collab::cli::add_train_verb(app);
  collab::cli::add_lr_find_verb(app);
  collab::cli::add_bias_verb(app);
  collab::cli::add_similar_verb(app);
  collab::cli::add_recommend_verb(app);
  collab::cli::add_predict_verb(app);
  collab::cli::add_factors_verb(app);
  collab::cli::add_split_verb(app);
  collab::cli::add_eval_verb(app);
  collab::cli::add_cv_verb(app);
  collab::cli::add_compare_verb(app);
  collab::cli::add_tune_verb(app);
  collab::cli::add_completion_verb(app);
  try {
    app.parse(argc, argv);
    return 0;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::fprintf(stderr, "collab: error: %s\nRun 'collab --help' or 'collab VERB --help' for usage.\n",
                 collab::terminal_safe(e.what()).c_str());
    return static_cast<int>(ExitCode::usage);
  } catch (const collab::Error& e) {
    std::fflush(stdout);
    // Messages quote titles and file contents: escape what a terminal would act on.
    std::fprintf(stderr, "collab: error: %s\n", collab::terminal_safe(e.what()).c_str());
    return static_cast<int>(e.code());
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "collab: error: out of memory\n");
    return static_cast<int>(ExitCode::internal);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "collab: error: internal error: %s\n", collab::terminal_safe(e.what()).c_str());
    return static_cast<int>(ExitCode::internal);
  }
}
