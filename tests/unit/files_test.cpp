#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "support/files.h"
#include "support/interrupt.h"
#include "test_support.h"

using namespace collab;
namespace fs = std::filesystem;

namespace {
std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
size_t entries(const std::string& dir) {
  return static_cast<size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}
// A pid that no process has now: a child that has exited and been reaped.
pid_t dead_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  return child;
}
}  // namespace

TEST(Files, SpecialFilesAreNamedForWhatTheyAre) {
  const std::string dir = test_support::temp_dir("files-special");
  auto message = [](const std::string& path) {
    return std::string(test_support::expect_error([&] { require_regular_input(path, "ratings file"); }).what());
  };
  EXPECT_NE(message(dir).find("the ratings file is a directory"), std::string::npos);
  EXPECT_NE(message("/dev/null").find("character device"), std::string::npos);
  ASSERT_EQ(::mkfifo((dir + "/fifo").c_str(), 0600), 0);
  EXPECT_NE(message(dir + "/fifo").find("FIFO"), std::string::npos);
  EXPECT_NE(message(dir + "/none.csv").find("none.csv: no such file"), std::string::npos);
  EXPECT_EQ(test_support::expect_error([&] { require_regular_input(dir, "x"); }).code(), ExitCode::no_input);
}

TEST(Files, AnOutputThatIsNotARegularFileOrHasNoFolderIsRefusedUpFront) {
  const std::string dir = test_support::temp_dir("files-out");
  EXPECT_EQ(test_support::expect_error([&] { require_replaceable_output("/dev/null", "model"); }).code(),
            ExitCode::cannot_create);
  EXPECT_EQ(test_support::expect_error([&] { require_replaceable_output(dir, "model"); }).code(),
            ExitCode::cannot_create);
  Error e = test_support::expect_error([&] { require_replaceable_output(dir + "/no/such/m.collab", "model"); });
  EXPECT_EQ(e.code(), ExitCode::cannot_create);
  EXPECT_NE(std::string(e.what()).find("no folder"), std::string::npos) << e.what();
  require_replaceable_output(dir + "/new.collab", "model");  // a new file in a folder that exists: fine
}

TEST(Files, AStopAskedDuringAWriteKeepsTheEarlierFileAndLeavesNoTemporary) {
  const std::string dir = test_support::temp_dir("files-stop");
  write_file_atomically(dir + "/out.tsv", "earlier");
  stop_requested() = true;
  Error e = test_support::expect_error([&] { write_file_atomically(dir + "/out.tsv", "later"); });
  stop_requested() = false;
  EXPECT_EQ(e.code(), ExitCode::interrupted);
  EXPECT_EQ(read(dir + "/out.tsv"), "earlier");
  EXPECT_EQ(entries(dir), 1u);
}

TEST(Files, StagedFilesReplaceNothingUntilCommittedAndVanishIfNotCommitted) {
  const std::string dir = test_support::temp_dir("files-staged");
  write_file_atomically(dir + "/a", "old a");
  {
    StagedFile a(dir + "/a", "new a");
    EXPECT_EQ(read(dir + "/a"), "old a");
    EXPECT_EQ(entries(dir), 2u);  // the file and its temporary
  }
  EXPECT_EQ(read(dir + "/a"), "old a");
  EXPECT_EQ(entries(dir), 1u);
  StagedFile b(dir + "/a", "new a");
  b.commit();
  EXPECT_EQ(read(dir + "/a"), "new a");
}

TEST(Files, TemporariesOfDeadProcessesAreRemovedByTheNextWriter) {
  const std::string dir = test_support::temp_dir("files-stale");
  const std::string stale = dir + "/m.collab.tmp." + std::to_string(dead_pid());
  const std::string live = dir + "/m.collab.tmp." + std::to_string(::getppid());  // a live process
  const std::string other = dir + "/other.collab.tmp." + std::to_string(dead_pid());
  for (const auto& p : {stale, live, other}) test_support::write_text(p, "half");
  fs::create_directories(dir + "/set.unpacking." + std::to_string(dead_pid()) + "/inside");
  write_file_atomically(dir + "/m.collab", "whole");
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(live));    // its writer may still be at work
  EXPECT_TRUE(fs::exists(other));   // another file's temporaries are its own writer's business
  remove_stale_temporaries(dir, "set", ".unpacking.");
  EXPECT_EQ(entries(dir), 3u);      // m.collab, live, other: the unpacking folder is gone
}
