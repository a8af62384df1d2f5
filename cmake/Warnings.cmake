# Warnings for our own targets only (third-party headers come in as SYSTEM includes).
add_library(recrypt_warnings INTERFACE)
target_compile_options(recrypt_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align
  -Woverloaded-virtual -Wimplicit-fallthrough -Wformat=2)
if(RECRYPT_WERROR)
  target_compile_options(recrypt_warnings INTERFACE -Werror)
endif()
