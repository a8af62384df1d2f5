#include "cli/documents.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "base/atomic_file.hpp"
#include "base/io.hpp"
#include "base/unique_fd.hpp"
#include "protocol/base64url.hpp"
#include "base/error.hpp"
#include "protocol/agent/rpc.hpp"
#include "protocol/jcd.hpp"
#include "client/recipients.hpp"
#include "protocol/service/profile.hpp"

namespace recrypt::cli {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kMaxRecipientFile = 64 * 1024;

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// An input file, or stdin; with its size when known (for the progress line).
struct Input {
  UniqueFd file;  // none for stdin
  int fd = 0;
  std::optional<std::uint64_t> size;
  explicit Input(const std::string& path) {
    if (path.empty() || path == "-") return;
    file.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!file) fail(Errc::io, "cannot open " + path + ": " + std::strerror(errno));
    fd = file.get();
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) size = static_cast<std::uint64_t>(st.st_size);
  }
};

// Counts bytes through a Sink and redraws a progress line on a terminal.
class Progress {
 public:
  Progress(bool enabled, std::optional<std::uint64_t> total, const char* verb)
      : enabled_(enabled && total && *total >= (8u << 20) && ::isatty(2)),
        total_(total.value_or(0)),
        verb_(verb) {}
  void advance(std::size_t n) {
    done_ += n;
    if (!enabled_) return;
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    std::fprintf(stderr, "\r%s %3d%% (%llu MiB)", verb_, static_cast<int>(100 * done_ / total_),
                 static_cast<unsigned long long>(done_ >> 20));
  }
  ~Progress() {
    if (enabled_) std::fprintf(stderr, "\r%s 100%%                 \n", verb_);
  }

 private:
  bool enabled_;
  std::uint64_t total_, done_ = 0;
  const char* verb_;
  std::chrono::steady_clock::time_point last_{};
};

// Either a file that has no name until it is complete (base/atomic_file.hpp), or stdout.
// Without --force an existing file is never replaced: checked at the start, to fail before
// any work, and again by the kernel when the file gets its name, for one that appeared
// meanwhile. Interrupted (SIGINT, SIGTERM, SIGHUP: main() asks for that cleanup) or failed,
// it leaves nothing in the folder.
class Output {
 public:
  Output(const std::string& path, unsigned mode, bool force) : path_(path), force_(force) {
    if (path.empty() || path == "-") {
      sink_ = std::make_unique<FdSink>(1);
      return;
    }
    std::error_code ec;
    if (!force && fs::exists(fs::symlink_status(path, ec)))
      fail(Errc::io, path + " exists (use --force to replace it)");
    // The data reaches the disk before the name does: a power cut never leaves the name on
    // a partial file (docs/DECISIONS.md).
    file_ = std::make_unique<AtomicFile>(path, mode,
                                         AtomicFileOptions{.sync = Sync::file, .unnamed = true});
    sink_ = std::make_unique<FdSink>(file_->fd());
  }
  Sink& sink() { return *sink_; }
  // The file's descriptor while nobody can see it (an unnamed file), else -1: stdout, or a
  // named temporary file on a file system without unnamed ones.
  int unnamed_fd() const { return file_ && !file_->named_temporary() ? file_->fd() : -1; }
  void commit() {
    if (!file_) return;
    if (force_) {
      file_->commit();
    } else if (!file_->commit_if_absent()) {
      fail(Errc::io, path_ +
                         " appeared while it was being written; it was not replaced (use --force "
                         "to replace it)");
    }
  }

 private:
  std::string path_;
  bool force_;
  std::unique_ptr<AtomicFile> file_;
  std::unique_ptr<FdSink> sink_;
};

jwe::RecipientKey file_recipient(const std::string& file) {
  Bytes data = read_file(file, kMaxRecipientFile);
  return recipient_from_profile(trim(std::string(as_chars(data))));
}

}  // namespace

std::vector<jwe::RecipientSpec> resolve_recipients(const EncryptOptions& options,
                                                   client::AgentClient* agent, Json& names) {
  std::vector<jwe::RecipientSpec> recipients;
  names = Json::array();
  if ((!options.groups.empty() || !options.all_of.empty()) && agent == nullptr)
    fail(Errc::internal, "recipients by name need the agent");
  for (const auto& g : options.groups) {
    recipients.push_back({client::group_recipient(*agent, g)});
    names.push_back(recipients.back().front().locator->group);
  }
  for (const auto& f : options.recipient_files) {
    recipients.push_back({file_recipient(f)});
    names.push_back(recipients.back().front().locator->group);
  }
  for (const auto& set : options.all_of) {
    if (set.size() < 2) fail(Errc::malformed, "--all-of needs at least two groups");
    jwe::RecipientSpec spec;
    std::string joined;
    for (const auto& g : set) {
      spec.push_back(client::group_recipient(*agent, g));
      joined += (joined.empty() ? "" : " & ") + spec.back().locator->group;
    }
    recipients.push_back(std::move(spec));
    names.push_back(joined);
  }
  if (recipients.empty())
    fail(Errc::malformed, "no recipients: give -r GROUP, -R FILE or --all-of G1,G2");
  return recipients;
}

Json encrypt_file(const EncryptOptions& options, client::AgentClient* agent) {
  Json names;
  std::vector<jwe::RecipientSpec> recipients = resolve_recipients(options, agent, names);

  Input in(options.input);
  std::string out_path = options.output;
  if (out_path.empty() && !options.input.empty() && options.input != "-")
    out_path = options.input + ".jcd";
  if ((out_path.empty() || out_path == "-") && ::isatty(1))
    fail(Errc::io, "refusing to write encrypted data to a terminal (use -o FILE or redirect)");

  jcd::FileInfo info;
  if (!options.input.empty() && options.input != "-")
    info.name = fs::path(options.input).filename().string();
  info.media_type = options.media_type;
  info.created = service::rfc3339_now();

  Output out(out_path, 0644, options.force);
  jcd::Encryptor encryptor(out.sink(), recipients, info, options.threads);
  Progress progress(options.progress, in.size, "encrypting");
  std::uint64_t total = 0;
  if (in.file && in.size && out.unnamed_fd() >= 0) {
    total =
        encryptor.seal_file(in.fd, out.unnamed_fd(), [&](std::uint64_t n) { progress.advance(n); });
  } else {
    FdSource source(in.fd);
    while (std::size_t n = encryptor.read_from(source)) {
      total += n;
      progress.advance(n);
    }
    encryptor.finish();
  }
  out.commit();
  return Json{
      {"output", out_path.empty() ? "-" : out_path}, {"bytes", total}, {"recipients", names}};
}

std::string read_envelope(const std::string& input) {
  Input in(input);
  FdSource source(in.fd);
  BufferedInput buffered(source);
  return jcd::read_header(buffered).envelope.serialize();
}

OpenedDocument open_jcd(BufferedInput& input, client::AgentClient& agent,
                        const std::optional<std::string>& name,
                        std::optional<unsigned> wait_seconds) {
  jcd::Header header = jcd::read_header(input);
  // The file's name is only shown to the user if the agent asks before opening it.
  Json request{{"envelope", header.envelope.serialize()}};
  if (name) request["name"] = *name;
  SecretJson opened = open_document(agent, request, wait_seconds);
  SecureBytes plaintext =
      base64url::decode_secret(json::secret_string_field(opened, "plaintext", "agent answer"));
  return OpenedDocument{std::move(header), jcd::Metadata::from_json(plaintext),
                        json::to_plain(opened.value("via", SecretJson()))};
}

namespace {

// The whole of a file known to be small, or nullopt when it has grown past the limit since.
std::optional<Bytes> read_small(int fd) {
  Bytes file(agent_rpc::kMaxWholeDocument + 1);
  file.resize(read_full(fd, file));
  if (file.size() > agent_rpc::kMaxWholeDocument) return std::nullopt;
  return file;
}

// An agent's refusal of the document itself (it does not parse, is truncated, does not
// authenticate) as the Error this program gives when it reads a document on its own, so that
// a small document and a large one fail alike (exit 5).
[[noreturn]] void throw_as_document_error(const agent_rpc::RpcError& e) {
  using agent_rpc::Code;
  const Json& data = e.data();
  if (e.code() == Code::invalid_params || e.code() == Code::decrypt_failed ||
      e.code() == Code::internal_error)
    if (data.is_object() && data.contains("errc") && data["errc"].is_string())
      if (auto code = errc_from_name(data["errc"].get<std::string>())) throw Error(*code, e.what());
  throw e;
}

// A small .jcd goes to the agent whole and comes back as its plaintext: its few segments
// cost the agent microseconds, and this process then does no cryptography of its own, whose
// start-up (OpenSSL's algorithm tables) is a fifth of a small decryption's time.
Json decrypt_whole(const DecryptOptions& options, ByteView file, const std::string& out_path,
                   const std::optional<std::string>& name, client::AgentClient& agent) {
  Json request{{"jcd", base64url::encode(file)}};
  if (name) request["name"] = *name;
  SecretJson opened;
  try {
    opened = open_document(agent, request, options.wait_seconds);
  } catch (const agent_rpc::RpcError& e) {
    throw_as_document_error(e);
  }
  SecureBytes content =
      base64url::decode_secret(json::secret_string_field(opened, "content", "agent answer"));
  Output out(out_path, 0600, options.force);
  out.sink().write(content);
  out.commit();
  Json result{{"output", out_path.empty() ? "-" : out_path},
              {"bytes", content.size()},
              {"via", json::to_plain(opened.value("via", SecretJson()))}};
  for (const char* field : {"name", "media_type", "created"})
    if (auto it = opened.find(field); it != opened.end() && it->is_string())
      result[field] = json::to_plain(*it);
  return result;
}

}  // namespace

Json decrypt_file(const DecryptOptions& options, client::AgentClient& agent) {
  Input in(options.input);
  std::string out_path = options.output;
  if (out_path.empty() && !options.input.empty() && options.input != "-") {
    if (fs::path(options.input).extension() != ".jcd")
      fail(Errc::malformed, "cannot guess an output name for " + options.input +
                                " (it does not end in .jcd): use -o");
    out_path = fs::path(options.input).replace_extension().string();
  }
  std::optional<std::string> name;
  if (!options.input.empty() && options.input != "-")
    name = fs::path(options.input).filename().string();
  if (in.size && *in.size <= agent_rpc::kMaxWholeDocument) {
    if (std::optional<Bytes> file = read_small(in.fd))
      return decrypt_whole(options, *file, out_path, name, agent);
    if (::lseek(in.fd, 0, SEEK_SET) != 0)  // grown meanwhile: read as a large one
      fail(Errc::io, "cannot read " + options.input + " again: " + std::strerror(errno));
  }
  FdSource source(in.fd);
  BufferedInput input(source);
  OpenedDocument document = open_jcd(input, agent, name, options.wait_seconds);
  const jcd::Metadata& metadata = document.metadata;

  // Nothing has a name until the whole document authenticated: the output file gets its
  // name on commit. On stdout, each segment is released after it authenticated.
  Output out(out_path, 0600, options.force);
  jcd::Decryptor decryptor(input, metadata, document.header.digest, options.threads);
  Progress progress(options.progress, in.size, "decrypting");
  std::uint64_t total = 0;
  if (in.file && in.size && out.unnamed_fd() >= 0) {
    // The file was opened here: the header begins it.
    total = decryptor.open_file(in.fd, document.header.size, out.sink(), out.unnamed_fd(),
                                [&](std::uint64_t n) { progress.advance(n); });
  } else {
    while (auto segment = decryptor.next()) {
      out.sink().write(*segment);
      total += segment->size();
      progress.advance(segment->size() + kGcmTagSize);
    }
  }
  out.commit();
  Json result{
      {"output", out_path.empty() ? "-" : out_path}, {"bytes", total}, {"via", document.via}};
  if (metadata.info.name) result["name"] = *metadata.info.name;
  if (metadata.info.media_type) result["media_type"] = *metadata.info.media_type;
  if (metadata.info.created) result["created"] = *metadata.info.created;
  return result;
}

}  // namespace recrypt::cli
