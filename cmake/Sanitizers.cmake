# ASan + UBSan for the whole tree: every target, tests included, so a memory error anywhere
# in a test run stops it.
if(RECRYPT_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
