#include "errors.h"

namespace infogain {

Napi::Error makeError(Napi::Env env, const Status& st) {
  Napi::Error e = st.kind == ErrorKind::Type    ? Napi::TypeError::New(env, st.message)
                  : st.kind == ErrorKind::Range ? Napi::RangeError::New(env, st.message)
                                                : Napi::Error::New(env, st.message);
  e.Set("code", st.code);
  if (!st.argument.empty()) e.Set("argument", st.argument);
  if (st.index >= 0) e.Set("index", Napi::Number::New(env, double(st.index)));
  return e;
}

void throwStatus(Napi::Env env, const Status& st) { throw makeError(env, st); }

}  // namespace infogain
