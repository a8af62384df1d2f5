# recryptd allocates and frees a few hundred small blocks per request (JSON, OpenSSL, SQLite,
# Beast), on its I/O threads and on its store's writer thread. With glibc's malloc about a
# tenth of its CPU went to the allocator, part of it waiting on another thread's arena lock;
# with jemalloc a RecryptData cost 210 µs of CPU instead of 249 (docs/SERVICE.md §9). The
# load generator and its ceilings (bench/service) are linked with it too, so that recryptd is
# compared with servers on the same allocator. The sanitizers bring an allocator of their own.
pkg_check_modules(JEMALLOC IMPORTED_TARGET jemalloc)
option(RECRYPT_JEMALLOC "Link recryptd with jemalloc (Debian: libjemalloc-dev)" ${JEMALLOC_FOUND})
if(RECRYPT_JEMALLOC AND NOT JEMALLOC_FOUND)
  message(FATAL_ERROR "RECRYPT_JEMALLOC needs jemalloc (Debian: libjemalloc-dev)")
endif()

function(recrypt_link_server_allocator target)
  if(RECRYPT_JEMALLOC AND NOT RECRYPT_SANITIZE AND NOT RECRYPT_FUZZ)
    target_link_libraries(${target} PRIVATE PkgConfig::JEMALLOC)
  endif()
endfunction()
