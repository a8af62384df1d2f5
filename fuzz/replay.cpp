// A main for the fuzz targets when they are built without libFuzzer (any compiler, the normal
// and sanitizer builds): every file named on the command line, and every file in a folder named
// there, goes through LLVMFuzzerTestOneInput once. Options (arguments that start with '-', as
// libFuzzer's -runs=0) are ignored, so ctest runs both kinds of build with the same command.
// No input at all is a failure: an empty corpus would pass without testing anything.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    if (argv[i][0] == '-') continue;
    const fs::path arg(argv[i]);
    if (fs::is_directory(arg)) {
      for (const auto& entry : fs::recursive_directory_iterator(arg))
        if (entry.is_regular_file() && entry.path().filename().string().front() != '.')
          inputs.push_back(entry.path());
    } else {
      inputs.push_back(arg);
    }
  }
  std::sort(inputs.begin(), inputs.end());
  for (const fs::path& p : inputs) {
    std::ifstream in(p, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "cannot read %s\n", p.c_str());
      return 1;
    }
    const std::string data{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    // A heap copy of exactly the input's size (never a null pointer, as libFuzzer does), so
    // that ASan sees a read past its end.
    std::unique_ptr<std::uint8_t[]> copy(new std::uint8_t[data.size()]);
    std::copy(data.begin(), data.end(), copy.get());
    std::printf("%s (%zu bytes)\n", p.c_str(), data.size());
    std::fflush(stdout);
    LLVMFuzzerTestOneInput(copy.get(), data.size());
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "no inputs: give files or folders of them\n");
    return 1;
  }
  std::printf("ran %zu inputs\n", inputs.size());
  return 0;
}
