// `collab bias`: the lowest and highest learned biases of a saved model.
#include "output.h"
#include "reading.h"
#include "verbs.h"

namespace collab::cli {
namespace {

struct BiasVerbOptions {
  ReadingOptions read;
  bool users = false;
};

void run_bias(const BiasVerbOptions& o) {
  const Model model = Model::load(o.read.model);
  std::vector<RankedRow> lowest, highest;
  if (o.users) {
    const Model::UserBiases b = model.user_biases(list_options(o.read));
    lowest = ranked_rows(b.lowest), highest = ranked_rows(b.highest);
  } else {
    const Model::Biases b = model.biases(list_options(o.read));
    lowest = ranked_rows(b.lowest), highest = ranked_rows(b.highest);
  }
  const std::string name = o.users ? "userId" : "title";
  if (o.read.format == "json") {
    print_json({{"lowest", ranked_json(lowest, name, "bias")},
                {"highest", ranked_json(highest, name, "bias")}});
  } else if (o.read.format == "tsv") {
    std::string out = "side\trank\t" + name + "\tbias\n";
    out +=
        ranked_tsv(lowest, name, "bias", "lowest") + ranked_tsv(highest, name, "bias", "highest");
    print_line(out.substr(0, out.size() - 1));
  } else {
    std::string out = "lowest " + std::string(o.users ? "user" : "item") + " biases\n" +
                      ranked_table(lowest, name, "bias", 4) + "\nhighest " +
                      (o.users ? "user" : "item") + " biases\n" +
                      ranked_table(highest, name, "bias", 4);
    print_line(out.substr(0, out.size() - 1));
  }
}

}  // namespace

void add_bias_verb(CLI::App& app) {
  auto o = std::make_shared<BiasVerbOptions>();
  auto* verb = app.add_subcommand("bias", "The items (or users) with the lowest and highest learned bias");
  add_reading_options(verb, o->read, 5, true);
  verb->add_flag("--users", o->users, "User biases instead of item biases");
  verb->callback([o] { run_bias(*o); });
}

}  // namespace collab::cli
