# Commands run once per file, by a user or by another tool (recrypt, age-plugin-recrypt),
# spend a visible share of a small decryption starting up. With the C++ runtime linked
# statically the dynamic loader neither maps libstdc++ nor looks up its thousands of symbols:
# `recrypt --help` went from 4.1 to 3.2 ms (DECISIONS.md, "Starting the CLI"). Neither
# command loads a module that brings a libstdc++ of its own (only the agent dlopens PKCS#11
# modules). The sanitizers' runtimes must interpose the C++ allocator, so those builds keep
# the shared runtime.
function(recrypt_link_for_startup target)
  if(NOT RECRYPT_SANITIZE AND NOT RECRYPT_FUZZ)
    target_link_options(${target} PRIVATE -static-libstdc++ -static-libgcc)
  endif()
endfunction()
