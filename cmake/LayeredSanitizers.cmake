# layered_sanitize(<target>): ASan + UBSan on one target when LAYERED_SANITIZE
# is on. Applied per target so that nothing shipped to Lambda is ever
# instrumented, whatever preset built it.
function(layered_sanitize target)
  if(NOT LAYERED_SANITIZE)
    return()
  endif()
  set(flags -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_compile_options(${target} PRIVATE ${flags})
  target_link_options(${target} PRIVATE ${flags})
endfunction()

# layered_warnings(<target>): the project's warning set.
function(layered_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion)
endfunction()
