// Ranks as threads of one test: Communicators that exchange through shared memory, so that unit
// tests run sharded training's ranks without c10d, each on its own thread.
#pragma once

#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "train/distributed.h"

namespace collab::test_support {

class InProcessRanks {
 public:
  explicit InProcessRanks(int ranks) : size_(ranks) {
    for (int r = 0; r < ranks; ++r) members_.push_back(std::make_unique<Member>(*this, r));
  }
  Communicator& rank(int r) { return *members_[static_cast<size_t>(r)]; }

  // Runs f(rank) on one thread per rank and waits for all.
  template <class F>
  void run(F&& f) {
    std::vector<std::thread> threads;
    for (int r = 0; r < size_; ++r) threads.emplace_back([&f, r] { f(r); });
    for (auto& t : threads) t.join();
  }

 private:
  class Member final : public Communicator {
   public:
    Member(InProcessRanks& group, int rank) : g_(group), rank_(rank) {}
    int rank() const override { return rank_; }
    int world_size() const override { return g_.size_; }
    void allgather(const float* mine, size_t count, float* all) override { allgather_bytes(mine, count * 4, all); }
    void allgather_bytes(const void* mine, size_t bytes, void* all) override {
      for (int to = 0; to < g_.size_; ++to) g_.post(rank_, to, mine, bytes);
      for (int from = 0; from < g_.size_; ++from) g_.take(from, rank_, static_cast<char*>(all) + static_cast<size_t>(from) * bytes, bytes);
    }
    void barrier() override {
      char none = 0, all[64];
      allgather_bytes(&none, 1, all);
    }
    void exchange(const void* out, size_t out_bytes, int to, void* in, size_t in_bytes, int from) override {
      g_.post(rank_, to, out, out_bytes);
      g_.take(from, rank_, in, in_bytes);
    }
    void send(const void* out, size_t bytes, int to) override { g_.post(rank_, to, out, bytes); }
    void receive(void* in, size_t bytes, int from) override { g_.take(from, rank_, in, bytes); }
    Traffic traffic() const override { return {}; }

   private:
    InProcessRanks& g_;
    int rank_;
  };

  // Messages from one rank to another arrive in the order they were sent.
  void post(int from, int to, const void* data, size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    queues_[{from, to}].emplace_back(static_cast<const char*>(data), bytes);
    arrived_.notify_all();
  }
  void take(int from, int to, void* data, size_t bytes) {
    std::unique_lock<std::mutex> lock(mutex_);
    auto& queue = queues_[{from, to}];
    arrived_.wait(lock, [&] { return !queue.empty(); });
    if (queue.front().size() != bytes) throw std::runtime_error("a message of another size than expected");
    std::memcpy(data, queue.front().data(), bytes);
    queue.pop_front();
  }

  int size_;
  std::vector<std::unique_ptr<Member>> members_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::map<std::pair<int, int>, std::deque<std::string>> queues_;
};

}  // namespace collab::test_support
