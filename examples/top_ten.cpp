// Loads a model that `collab train` saved and prints a user's ten best unseen items.
//   cmake -S examples -B build-example && cmake --build build-example
//   ./build-example/top_ten model.collab 42
#include <collab/collab.h>

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: top_ten MODEL USER_ID\n");
    return 64;
  }
  try {
    const collab::Model model = collab::Model::load(argv[1]);
    for (const collab::ItemScore& item : model.recommend(std::atoi(argv[2]), 10))
      std::printf("%.4f\t%s\n", item.score, item.title.c_str());
  } catch (const collab::Error& e) {  // one line, and the exit code collab itself would give
    std::fprintf(stderr, "top_ten: %s\n", e.what());
    return static_cast<int>(e.code());
  }
}
