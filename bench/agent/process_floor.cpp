// The least a command-line tool built on OpenSSL 3 pays to decrypt a small file, for
// cli_vs_gpg.sh to print beside `recrypt decrypt`: start, read the file, SHA-256 it and
// AES-256-GCM it once through EVP (OpenSSL's first fetch builds its algorithm tables), write
// the result. No key agreement, no agent, no service: recrypt cannot go below this.
#include <openssl/evp.h>

#include <cstdio>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: process_floor IN OUT\n");
    return 2;
  }
  std::FILE* in = std::fopen(argv[1], "rb");
  if (in == nullptr) return 1;
  std::vector<unsigned char> data(1 << 20);
  std::size_t n = std::fread(data.data(), 1, data.size(), in);
  std::fclose(in);

  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (EVP_Digest(data.data(), n, digest, &digest_len, EVP_sha256(), nullptr) != 1) return 1;

  const unsigned char key[32] = {};
  const unsigned char iv[12] = {};
  std::vector<unsigned char> out(n + 16);
  int len = 0, tail = 0;
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  bool ok = ctx != nullptr && EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, key, iv) == 1 &&
            EVP_EncryptUpdate(ctx, out.data(), &len, data.data(), static_cast<int>(n)) == 1 &&
            EVP_EncryptFinal_ex(ctx, out.data() + len, &tail) == 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) return 1;

  std::FILE* o = std::fopen(argv[2], "wb");
  if (o == nullptr) return 1;
  std::fwrite(out.data(), 1, static_cast<std::size_t>(len + tail), o);
  return std::fclose(o) == 0 && digest_len == 32 ? 0 : 1;
}
