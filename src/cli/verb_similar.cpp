// `collab similar TITLE`: the items closest by cosine similarity of their factors.
#include "support/utf8.h"
#include "output.h"
#include "reading.h"
#include "verbs.h"

namespace collab::cli {
namespace {

struct SimilarVerbOptions {
  ReadingOptions read;
  std::string title;
};

void run_similar(const SimilarVerbOptions& o) {
  const Model model = Model::load(o.read.model);
  const std::string title = model.item(o.title).title;
  const auto list = ranked_rows(model.similar(o.title, list_options(o.read)));
  if (o.read.format == "json") {
    print_json({{"title", title}, {"similar", ranked_json(list, "title", "similarity")}});
  } else if (o.read.format == "tsv") {
    std::string out = ranked_tsv(list, "title", "similarity");
    print_line(out.substr(0, out.size() - 1));
  } else {
    std::string out = "closest to " + terminal_safe(title) + "\n" + ranked_table(list, "title", "similarity", 4);
    print_line(out.substr(0, out.size() - 1));
  }
}

}  // namespace

void add_similar_verb(CLI::App& app) {
  auto o = std::make_shared<SimilarVerbOptions>();
  auto* verb = app.add_subcommand("similar", "The items closest to TITLE by cosine similarity of their factors");
  verb->add_option("title", o->title, "An item's title (case and a leading article do not matter)")->required();
  add_reading_options(verb, o->read, 10, true);
  verb->callback([o] { run_similar(*o); });
}

}  // namespace collab::cli
