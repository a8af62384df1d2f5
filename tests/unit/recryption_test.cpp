// Key splitting (DESIGN.md §1): for every split x + r = a, a sender's Z = t·A equals the
// member's R + P, on the whole-point path and on the x-only path of PKCS#11 devices; all-of
// recipients need every group's Z, any-of recipients open with either group.
#include <gtest/gtest.h>
#include <openssl/x509.h>

#include "protocol/jwe.hpp"
#include "protocol/recryption.hpp"
#include "tests/unit/support.hpp"

namespace recrypt {
namespace {

using recryption::GroupKey;

const Curve& p256() { return Curve::p256(); }

// What a member computes for an ephemeral T: the service's R = r·T plus its own P = x·T.
Point member_z(const recryption::MemberSplit& split, const Point& t_point) {
  Point r = recryption::partial(split.recryption_key, t_point);
  Point p = t_point.times(split.share);
  return recryption::combine(r, p);
}

TEST(Recryption, SplitCombineEqualsSenderSecret) {
  for (int i = 0; i < 200; ++i) {
    GroupKey group = GroupKey::generate(p256());
    ASSERT_TRUE(group.public_key == group.secret.public_point());
    recryption::MemberSplit split = recryption::split(group.secret);
    // The two halves add up to a, and neither is a.
    ASSERT_TRUE(split.share.plus(split.recryption_key).equals(group.secret));
    ASSERT_FALSE(split.share.equals(group.secret));
    ASSERT_FALSE(split.recryption_key.equals(group.secret));

    Scalar t = Scalar::random(p256());
    Point t_point = t.public_point();
    Point z = group.public_key.times(t);  // the sender's side
    ASSERT_TRUE(member_z(split, t_point) == z) << "key " << i;
    ASSERT_TRUE(t_point.times(group.secret) == z);
    // Either half alone gives something else.
    ASSERT_FALSE(recryption::partial(split.recryption_key, t_point) == z);
    ASSERT_FALSE(t_point.times(split.share) == z);
  }
}

TEST(Recryption, SplitsOfOneGroupAreIndependent) {
  GroupKey group = GroupKey::generate(p256());
  auto s1 = recryption::split(group.secret);
  auto s2 = recryption::split(group.secret);
  EXPECT_FALSE(s1.share.equals(s2.share));
  Scalar t = Scalar::random(p256());
  Point t_point = t.public_point();
  // Members' halves do not mix: one member's share with another's recryption key fails.
  Point mixed =
      recryption::combine(recryption::partial(s1.recryption_key, t_point), t_point.times(s2.share));
  EXPECT_FALSE(mixed == group.public_key.times(t));
  EXPECT_TRUE(member_z(s2, t_point) == member_z(s1, t_point));
}

TEST(Recryption, ScalarEncodingRoundTripsAndRefusesOutOfRange) {
  for (int i = 0; i < 50; ++i) {
    Scalar k = Scalar::random(p256());
    Scalar back = Scalar::from_bytes(p256(), k.to_bytes());
    EXPECT_TRUE(back.equals(k));
    EXPECT_TRUE(back.public_point() == k.public_point());
  }
  EXPECT_ERRC(Scalar::from_bytes(p256(), Bytes(32, 0)), Errc::invalid_key);
  EXPECT_ERRC(Scalar::from_bytes(p256(), Bytes(31, 1)), Errc::invalid_key);
  EXPECT_ERRC(Scalar::from_bytes(p256(), Bytes(33, 1)), Errc::invalid_key);
  // n itself and 2^256 - 1 are out of range; n - 1 is the largest scalar.
  Bytes n = from_hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
  EXPECT_ERRC(Scalar::from_bytes(p256(), n), Errc::invalid_key);
  EXPECT_ERRC(Scalar::from_bytes(p256(), Bytes(32, 0xff)), Errc::invalid_key);
  n[31] -= 1;
  Scalar n_minus_1 = Scalar::from_bytes(p256(), n);
  EXPECT_TRUE(n_minus_1.public_point() == Point::generator(p256()).negated());
  // a - a is zero, which no key may be.
  EXPECT_ERRC(n_minus_1.minus(n_minus_1), Errc::invalid_key);
}

TEST(Recryption, PointEncodingsRoundTrip) {
  for (int i = 0; i < 20; ++i) {
    Point p = Scalar::random(p256()).public_point();
    EXPECT_TRUE(Point::from_uncompressed(p256(), p.to_uncompressed()) == p);
    EXPECT_TRUE(Point::from_coordinates(p256(), p.x_bytes(), p.y_bytes()) == p);
    EXPECT_TRUE(Point::from_spki_der(p.spki_der()) == p);
    Point lifted = Point::lift_x(p256(), p.x_bytes());
    EXPECT_TRUE(lifted == p || lifted == p.negated());
    EXPECT_EQ(lifted.y_bytes().back() & 1, 0);
  }
}

TEST(Recryption, SpkiDerIsWhatOpenSslEncodes) {
  // spki_der() appends the point to a per-curve prefix; it must stay byte-identical to
  // OpenSSL's own encoder, since fingerprints (and so every kid) hash it.
  for (int i = 0; i < 20; ++i) {
    Point p = Scalar::random(p256()).public_point();
    auto pkey = p.to_evp_pkey();
    unsigned char* der = nullptr;
    int len = i2d_PUBKEY(pkey.get(), &der);
    ASSERT_GT(len, 0);
    Bytes expected(der, der + len);
    OPENSSL_free(der);
    EXPECT_EQ(p.spki_der(), expected);
  }
}

TEST(Recryption, LiftXRefusesNonCanonicalCoordinate) {
  // x + p (still below 2^256) names the same field element as x; an x-coordinate from a
  // device must be in [0, p).
  const Bytes field_p =
      from_hex("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff");
  for (std::uint8_t small = 0; small < 64; ++small) {
    Bytes x(32, 0);
    x[31] = small;
    try {
      Point::lift_x(p256(), x);
    } catch (const Error&) {
      continue;  // no point has this x
    }
    Bytes big = field_p;  // p + small, added by hand with its carries
    unsigned carry = small;
    for (int j = 31; j >= 0 && carry != 0; --j) {
      unsigned v = big[static_cast<std::size_t>(j)] + carry;
      big[static_cast<std::size_t>(j)] = static_cast<std::uint8_t>(v);
      carry = v >> 8;
    }
    ASSERT_EQ(carry, 0u);
    EXPECT_ERRC(Point::lift_x(p256(), big), Errc::invalid_key) << "x = " << int(small);
    return;
  }
  FAIL() << "no small x-coordinate found";
}

TEST(Recryption, PointsOffTheCurveRefused) {
  Point p = Scalar::random(p256()).public_point();
  Bytes y = p.y_bytes();
  y[31] ^= 1;
  EXPECT_ERRC(Point::from_coordinates(p256(), p.x_bytes(), y), Errc::invalid_key);
  EXPECT_ERRC(Point::from_coordinates(p256(), Bytes(32, 0), Bytes(32, 0)), Errc::invalid_key);
  Bytes sec1 = p.to_uncompressed();
  sec1[0] = 0x02;
  EXPECT_ERRC(Point::from_uncompressed(p256(), sec1), Errc::invalid_key);
  EXPECT_ERRC(Point::from_uncompressed(p256(), Bytes{0x00}), Errc::invalid_key);
  EXPECT_ERRC(Point::from_spki_der(Bytes{0x30, 0x03, 0x02, 0x01, 0x01}), Errc::invalid_key);
  // A point plus its negation is the point at infinity, which is never a key.
  EXPECT_ERRC(p.plus(p.negated()), Errc::invalid_key);
}

TEST(Recryption, XOnlyDeviceOpensExactlyOneCandidate) {
  for (int i = 0; i < 40; ++i) {
    GroupKey group = GroupKey::generate(p256());
    auto split = recryption::split(group.secret);
    Bytes secret = test::random_bytes(40);
    jwe::Envelope envelope = jwe::encrypt(secret, {{jwe::RecipientKey{group.public_key, {}, {}}}});
    const jwe::Recipient& recipient = envelope.recipients.at(0);
    const Point& t_point = recipient.agreements.at(0).epk;

    Point service = recryption::partial(split.recryption_key, t_point);
    Bytes device_x = t_point.times(split.share).x_bytes();  // all an ECDH1_DERIVE gives
    auto candidates = recryption::combine_candidates(service, device_x);
    Point z = member_z(split, t_point);
    EXPECT_NE(candidates[0] == z, candidates[1] == z);  // exactly one is Z

    int opened = 0;
    for (const Point& c : candidates)
      if (jwe::try_unwrap(recipient, {c})) ++opened;
    EXPECT_EQ(opened, 1);

    SecureBytes cek = jwe::unwrap_candidates(recipient, {{candidates[0], candidates[1]}});
    EXPECT_EQ(to_bytes(jwe::decrypt_content(envelope, cek)), secret);
    // The order of the candidates does not matter.
    SecureBytes cek2 = jwe::unwrap_candidates(recipient, {{candidates[1], candidates[0]}});
    EXPECT_TRUE(constant_time_equal(cek, cek2));
  }
}

TEST(Recryption, UnwrapCandidatesRefusesWrongPointsAndBadShapes) {
  GroupKey group = GroupKey::generate(p256());
  jwe::Envelope envelope =
      jwe::encrypt(as_bytes("x"), {{jwe::RecipientKey{group.public_key, {}, {}}}});
  const jwe::Recipient& recipient = envelope.recipients.at(0);
  Point wrong = Scalar::random(p256()).public_point();
  EXPECT_ERRC(jwe::unwrap_candidates(recipient, {{wrong, wrong.negated()}}), Errc::decrypt_failed);
  EXPECT_ERRC(jwe::unwrap_candidates(recipient, {{}}), Errc::malformed);
  EXPECT_ERRC(jwe::unwrap_candidates(recipient, {{wrong, wrong, wrong}}), Errc::malformed);
  EXPECT_ERRC(jwe::unwrap_candidates(recipient, {{wrong}, {wrong}}), Errc::malformed);
  EXPECT_ERRC(jwe::try_unwrap(recipient, {}), Errc::malformed);
  EXPECT_ERRC(recryption::combine_candidates(wrong, Bytes(31, 1)), Errc::invalid_key);
}

// Encrypts to several groups as one all-of recipient; returns the envelope and each group's
// member-side Z (through a split, as a member would compute it).
struct AllOf {
  std::vector<GroupKey> groups;
  std::vector<recryption::MemberSplit> splits;
  jwe::Envelope envelope;
  Bytes plaintext;
};

AllOf make_all_of(std::size_t n) {
  AllOf out;
  jwe::RecipientSpec spec;
  for (std::size_t i = 0; i < n; ++i) {
    out.groups.push_back(GroupKey::generate(p256()));
    out.splits.push_back(recryption::split(out.groups.back().secret));
    spec.push_back(jwe::RecipientKey{
        out.groups.back().public_key,
        {},
        jwe::Locator{"g" + std::to_string(i) + "@example.com", "GID", "https://svc.example"}});
  }
  out.plaintext = test::random_bytes(100);
  out.envelope = jwe::encrypt(out.plaintext, {spec});
  return out;
}

void check_all_of(std::size_t n) {
  AllOf a = make_all_of(n);
  jwe::Envelope parsed = jwe::Envelope::parse(a.envelope.serialize());
  ASSERT_EQ(parsed.recipients.size(), 1u);
  const jwe::Recipient& r = parsed.recipients[0];
  EXPECT_EQ(r.alg, jwe::kAlgAllOf);
  ASSERT_EQ(r.agreements.size(), n);
  std::vector<Point> zs;
  for (std::size_t i = 0; i < n; ++i) {
    zs.push_back(member_z(a.splits[i], r.agreements[i].epk));
    EXPECT_EQ(r.agreements[i].locator->group, "g" + std::to_string(i) + "@example.com");
  }
  auto cek = jwe::try_unwrap(r, zs);
  ASSERT_TRUE(cek.has_value());
  EXPECT_EQ(to_bytes(jwe::decrypt_content(parsed, *cek)), a.plaintext);

  // Every Z is needed: replace any one with a wrong point (or another group's Z).
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<Point> bad = zs;
    bad[i] = Scalar::random(p256()).public_point();
    EXPECT_FALSE(jwe::try_unwrap(r, bad).has_value()) << "without group " << i;
    bad[i] = zs[(i + 1) % n];
    EXPECT_FALSE(jwe::try_unwrap(r, bad).has_value()) << "group " << i << " swapped";
  }
  // Fewer points than parts is an error, not a quiet failure.
  EXPECT_ERRC(jwe::try_unwrap(r, std::vector<Point>(zs.begin(), zs.end() - 1)), Errc::malformed);
  // No single group key opens an all-of recipient.
  for (const GroupKey& g : a.groups)
    EXPECT_ERRC(jwe::open_with_private_key(parsed, g.secret), Errc::decrypt_failed);
  // The x-only path works per part too.
  std::vector<std::vector<Point>> candidates;
  for (std::size_t i = 0; i < n; ++i) {
    const Point& t_point = r.agreements[i].epk;
    auto c =
        recryption::combine_candidates(recryption::partial(a.splits[i].recryption_key, t_point),
                                       t_point.times(a.splits[i].share).x_bytes());
    candidates.push_back({c[0], c[1]});
  }
  EXPECT_EQ(to_bytes(jwe::decrypt_content(parsed, jwe::unwrap_candidates(r, candidates))),
            a.plaintext);
}

TEST(Recryption, AllOfTwoGroupsNeedsBoth) { check_all_of(2); }
TEST(Recryption, AllOfThreeGroupsNeedsAll) { check_all_of(3); }

TEST(Recryption, AnyOfOpensWithEitherGroup) {
  GroupKey g1 = GroupKey::generate(p256());
  GroupKey g2 = GroupKey::generate(p256());
  GroupKey outsider = GroupKey::generate(p256());
  Bytes plaintext = test::random_bytes(77);
  jwe::Envelope e = jwe::encrypt(plaintext, {{jwe::RecipientKey{g1.public_key, {}, {}}},
                                             {jwe::RecipientKey{g2.public_key, {}, {}}}});
  jwe::Envelope parsed = jwe::Envelope::parse(e.serialize());
  ASSERT_EQ(parsed.recipients.size(), 2u);
  EXPECT_EQ(to_bytes(jwe::open_with_private_key(parsed, g1.secret)), plaintext);
  EXPECT_EQ(to_bytes(jwe::open_with_private_key(parsed, g2.secret)), plaintext);
  EXPECT_ERRC(jwe::open_with_private_key(parsed, outsider.secret), Errc::decrypt_failed);
  // And through members of each group.
  for (std::size_t i = 0; i < 2; ++i) {
    const GroupKey& g = i == 0 ? g1 : g2;
    auto split = recryption::split(g.secret);
    const jwe::Recipient& r = parsed.recipients[i];
    auto cek = jwe::try_unwrap(r, {member_z(split, r.agreements[0].epk)});
    ASSERT_TRUE(cek.has_value());
    EXPECT_EQ(to_bytes(jwe::decrypt_content(parsed, *cek)), plaintext);
    // The other group's recipient does not open with this group's Z.
    EXPECT_FALSE(jwe::try_unwrap(parsed.recipients[1 - i], {member_z(split, r.agreements[0].epk)}));
  }
}

}  // namespace
}  // namespace recrypt
