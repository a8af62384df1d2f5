// The least any tool pays to read a file and write another of the same size on every core,
// for files_vs_age.sh to print beside `recrypt encrypt`/`decrypt`: as many threads as cores,
// each taking the next 1 MiB of the input and copying it with pread and pwrite at its offset,
// no cryptography. recrypt's positional path does this plus AES-GCM, so its time over this
// one is what the cryptography and the format cost; a target below this floor cannot be met
// by a program that reads and writes the file.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: copy_floor IN OUT\n");
    return 2;
  }
  int in = ::open(argv[1], O_RDONLY | O_CLOEXEC);
  int out = ::open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (in < 0 || out < 0) {
    std::perror("copy_floor: open");
    return 1;
  }
  const off_t size = ::lseek(in, 0, SEEK_END);
  constexpr off_t kChunk = 1 << 20;
  const off_t chunks = (size + kChunk - 1) / kChunk;
  std::atomic<off_t> next{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < std::max(1u, std::thread::hardware_concurrency()); ++t) {
    threads.emplace_back([&] {
      std::vector<char> buffer(kChunk);
      for (off_t chunk; (chunk = next.fetch_add(1)) < chunks;) {
        const off_t offset = chunk * kChunk;
        const auto length = static_cast<std::size_t>(std::min(kChunk, size - offset));
        if (::pread(in, buffer.data(), length, offset) != static_cast<ssize_t>(length) ||
            ::pwrite(out, buffer.data(), length, offset) != static_cast<ssize_t>(length))
          failed = true;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  return !failed && ::close(out) == 0 ? 0 : 1;
}
