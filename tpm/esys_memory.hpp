// Memory helpers around ESAPI: its outputs are malloc'd by the library and some hold secrets
// (an unsealed secret, an ECDH point), and some of our inputs hold secrets (a PIN, a secret to
// seal). Both are wiped before they are given back.
#pragma once

#include <openssl/crypto.h>
#include <tss2/tss2_esys.h>

#include <cstddef>
#include <memory>

namespace recrypt::tpm {

struct EsysFree {
  std::size_t size;
  void operator()(void* p) const noexcept {
    if (p != nullptr) OPENSSL_cleanse(p, size);
    Esys_Free(p);
  }
};

template <class T>
using EsysPtr = std::unique_ptr<T, EsysFree>;

// Takes ownership of an ESAPI output.
template <class T>
EsysPtr<T> own(T* p) {
  return EsysPtr<T>(p, EsysFree{sizeof(T)});
}

// A TPM input structure that carries a secret; wiped when it goes out of scope.
template <class T>
struct Wiped {
  T v{};
  Wiped() = default;
  Wiped(const Wiped&) = delete;
  Wiped& operator=(const Wiped&) = delete;
  ~Wiped() { OPENSSL_cleanse(&v, sizeof v); }
};

}  // namespace recrypt::tpm
