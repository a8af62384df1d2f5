#include "protocol/recryption.hpp"

namespace recrypt::recryption {

GroupKey GroupKey::generate(const Curve& curve) {
  Scalar a = Scalar::random(curve);
  Point big_a = a.public_point();
  return GroupKey{std::move(a), std::move(big_a)};
}

MemberSplit split(const Scalar& group_secret) {
  for (;;) {
    Scalar x = Scalar::random(group_secret.curve());
    if (x.equals(group_secret)) continue;  // r would be 0
    Scalar r = group_secret.minus(x);
    return MemberSplit{std::move(x), std::move(r)};
  }
}

Point partial(const Scalar& recryption_key, const Point& ephemeral) {
  return ephemeral.times(recryption_key);
}

Point combine(const Point& service_partial, const Point& device_partial) {
  return service_partial.plus(device_partial);
}

std::array<Point, 2> combine_candidates(const Point& service_partial, ByteView device_partial_x) {
  Point p = Point::lift_x(service_partial.curve(), device_partial_x);
  return {service_partial.plus(p), service_partial.plus(p.negated())};
}

}  // namespace recrypt::recryption
