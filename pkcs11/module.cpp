#include "pkcs11/module.hpp"

#include <dlfcn.h>

#include <map>
#include <mutex>

#include "pkcs11/ck_error.hpp"

namespace recrypt::pkcs11 {

using backend::BackendErrc;
using backend::BackendError;

namespace {

// Recursive: a Module that fails to initialise is destroyed inside load(), which holds it.
std::recursive_mutex& registry_mutex() {
  static std::recursive_mutex m;
  return m;
}
std::map<std::string, std::weak_ptr<Module>>& registry() {
  static std::map<std::string, std::weak_ptr<Module>> r;
  return r;
}

}  // namespace

std::shared_ptr<Module> Module::load(const std::string& path) {
  std::lock_guard lock(registry_mutex());
  auto& slot = registry()[path];
  if (auto existing = slot.lock()) return existing;

  // RTLD_LOCAL: two modules may export the same C_ symbols; we only reach them through the
  // function list.
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    throw BackendError(BackendErrc::not_present,
                       "cannot load PKCS#11 module " + path + ": " + (why ? why : "unknown"));
  }
  auto get_list = reinterpret_cast<CK_C_GetFunctionList>(::dlsym(handle, "C_GetFunctionList"));
  if (get_list == nullptr) {
    ::dlclose(handle);
    throw BackendError(BackendErrc::device,
                       path + " is not a PKCS#11 module (no C_GetFunctionList)");
  }
  CK_FUNCTION_LIST* fn = nullptr;
  CK_RV rv = get_list(&fn);
  if (rv != CKR_OK || fn == nullptr) {
    ::dlclose(handle);
    throw_rv("C_GetFunctionList of " + path, rv != CKR_OK ? rv : CKR_GENERAL_ERROR);
  }
  std::shared_ptr<Module> module(new Module(path, handle, fn));
  module->initialize();
  slot = module;
  return module;
}

Module::Module(std::string path, void* handle, CK_FUNCTION_LIST* fn)
    : path_(std::move(path)), handle_(handle), fn_(fn) {}

void Module::initialize() {
  // We call the module from several threads and want it to lock with the OS primitives.
  CK_C_INITIALIZE_ARGS args{};
  args.flags = CKF_OS_LOCKING_OK;
  CK_RV rv = fn_->C_Initialize(&args);
  if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    // Someone else in this process (another library) owns the initialisation; we must not
    // finalise it under them.
    we_initialized_ = false;
    return;
  }
  check_rv("C_Initialize of " + path_, rv);
  we_initialized_ = true;
}

void Module::reinitialize() {
  std::unique_lock lock(use_);
  if (we_initialized_) {
    fn_->C_Finalize(nullptr);
    we_initialized_ = false;
  }
  ++generation_;
  initialize();
}

Module::~Module() {
  // Under the registry lock, so that a load() of the same path in another thread cannot
  // initialise the module between our last user going and this C_Finalize.
  std::lock_guard lock(registry_mutex());
  if (we_initialized_) fn_->C_Finalize(nullptr);
  // The library stays mapped on purpose: modules that link OpenSSL or start threads register
  // process-wide state (atexit handlers, thread keys) that unloading them would leave dangling.
  (void)handle_;
}

}  // namespace recrypt::pkcs11
