// model/uapi's virtual EPC (vepc.h), one test per rule: instances of four pages, mapped
// shared, the guest's enclaves built in them by ECREATE and EADD.
#include <gtest/gtest.h>

#include "uapi/vepc.h"

namespace sgxref::model::uapi {
namespace {

using Kind = GuestPage::Kind;

// An open instance mapped shared with pages 0 to n-1 touched.
int mapped_instance(Vepc& v, uint64_t n = 4) {
  const int id = vepc_open(v);
  EXPECT_EQ(vepc_mmap(v, id, true), 0);
  for (uint64_t i = 0; i < n; ++i) EXPECT_EQ(vepc_touch(v, id, i), Touch::kMapped);
  return id;
}

Kind kind_at(const Vepc& v, int id, uint64_t index) {
  return v.open.at(id).pages.at(index).kind;
}

TEST(UapiVepcModel, EachOpenIsANewInstanceWithoutPages) {
  Vepc v;
  const int a = vepc_open(v);
  const int b = vepc_open(v);
  EXPECT_NE(a, b);
  EXPECT_TRUE(v.open.at(a).pages.empty());
  ASSERT_EQ(vepc_mmap(v, a, true), 0);
  ASSERT_EQ(vepc_mmap(v, b, true), 0);
  EXPECT_EQ(vepc_touch(v, a, 2), Touch::kMapped);
  EXPECT_EQ(v.open.at(a).pages.size(), 1u);
  EXPECT_TRUE(v.open.at(b).pages.empty());
}

TEST(UapiVepcModel, MmapWithoutMapSharedIsEinvalAndMapsNothing) {
  Vepc v;
  const int a = vepc_open(v);
  EXPECT_EQ(vepc_mmap(v, a, false), err::kInval);
  EXPECT_FALSE(v.open.at(a).mapped);
  EXPECT_EQ(vepc_mmap(v, a, true), 0);
  EXPECT_TRUE(v.open.at(a).mapped);
}

TEST(UapiVepcModel, TouchAllocatesAFreePageOnceAndOnlyThroughAMapping) {
  Vepc v;
  const int a = vepc_open(v);
  EXPECT_EQ(vepc_touch(v, a, 0), Touch::kSigsegv);
  EXPECT_TRUE(v.open.at(a).pages.empty());
  ASSERT_EQ(vepc_mmap(v, a, true), 0);
  EXPECT_EQ(vepc_touch(v, a, 0), Touch::kMapped);
  EXPECT_EQ(kind_at(v, a, 0), Kind::kFree);
  ASSERT_TRUE(guest_ecreate(v, {a, 0}));
  EXPECT_EQ(vepc_touch(v, a, 0), Touch::kMapped);
  EXPECT_EQ(kind_at(v, a, 0), Kind::kSecs) << "a second touch leaves the page as it is";
}

TEST(UapiVepcModel, EcreateSucceedsOnlyOnAFreePage) {
  Vepc v;
  const int a = mapped_instance(v);
  EXPECT_TRUE(guest_ecreate(v, {a, 0}));
  EXPECT_FALSE(guest_ecreate(v, {a, 0}));
  ASSERT_TRUE(guest_eadd(v, {a, 1}, {a, 0}));
  EXPECT_FALSE(guest_ecreate(v, {a, 1}));
  EXPECT_EQ(kind_at(v, a, 1), Kind::kChild);
}

TEST(UapiVepcModel, EaddNeedsAFreeTargetAndASecsWhichMayLiveInAnotherInstance) {
  Vepc v;
  const int a = mapped_instance(v);
  const int b = mapped_instance(v);
  ASSERT_TRUE(guest_ecreate(v, {a, 0}));
  EXPECT_FALSE(guest_eadd(v, {b, 0}, {a, 1})) << "a free page is no SECS";
  EXPECT_TRUE(guest_eadd(v, {b, 0}, {a, 0}));
  EXPECT_EQ(v.open.at(b).pages.at(0), (GuestPage{Kind::kChild, {a, 0}}));
  EXPECT_FALSE(guest_eadd(v, {b, 0}, {a, 0})) << "the target holds a child";
  EXPECT_FALSE(guest_eadd(v, {b, 1}, {b, 0})) << "a child is no SECS";
  EXPECT_FALSE(guest_eadd(v, {a, 0}, {a, 0})) << "the target holds the SECS";
  EXPECT_EQ(kind_at(v, b, 1), Kind::kFree);
}

TEST(UapiVepcModel, RemoveAllWithANonZeroArgumentIsEinvalAndChangesNothing) {
  Vepc v;
  const int a = mapped_instance(v);
  ASSERT_TRUE(guest_ecreate(v, {a, 0}));
  const Vepc before = v;
  EXPECT_EQ(vepc_remove_all(v, a, 1), err::kInval);
  EXPECT_EQ(v.open.at(a).pages, before.open.at(a).pages);
}

TEST(UapiVepcModel, RemoveAllFreesEveryPageAndKeepsItAllocated) {
  Vepc v;
  const int a = mapped_instance(v);
  ASSERT_TRUE(guest_ecreate(v, {a, 3}));
  ASSERT_TRUE(guest_eadd(v, {a, 0}, {a, 3}));
  ASSERT_TRUE(guest_eadd(v, {a, 1}, {a, 3}));
  EXPECT_EQ(vepc_remove_all(v, a, 0), 0) << "the SECS comes after its children";
  ASSERT_EQ(v.open.at(a).pages.size(), 4u);
  for (uint64_t i = 0; i < 4; ++i) EXPECT_EQ(kind_at(v, a, i), Kind::kFree);
}

TEST(UapiVepcModel, RemoveAllCountsASecsWhoseChildrenComeLaterInTheWalk) {
  Vepc v;
  const int a = mapped_instance(v);
  ASSERT_TRUE(guest_ecreate(v, {a, 0}));
  ASSERT_TRUE(guest_eadd(v, {a, 1}, {a, 0}));
  ASSERT_TRUE(guest_eadd(v, {a, 2}, {a, 0}));
  EXPECT_EQ(vepc_remove_all(v, a, 0), 1);
  EXPECT_EQ(kind_at(v, a, 0), Kind::kSecs);
  EXPECT_EQ(kind_at(v, a, 1), Kind::kFree);
  EXPECT_EQ(kind_at(v, a, 2), Kind::kFree);
  EXPECT_EQ(vepc_remove_all(v, a, 0), 0) << "user space's second call";
  EXPECT_EQ(kind_at(v, a, 0), Kind::kFree);
}

TEST(UapiVepcModel, RemoveAllCountsASecsWhoseChildrenLiveInAnotherInstance) {
  Vepc v;
  const int a = mapped_instance(v);
  const int b = mapped_instance(v);
  ASSERT_TRUE(guest_ecreate(v, {a, 2}));
  ASSERT_TRUE(guest_ecreate(v, {a, 3}));
  ASSERT_TRUE(guest_eadd(v, {b, 0}, {a, 2}));
  ASSERT_TRUE(guest_eadd(v, {b, 1}, {a, 3}));
  EXPECT_EQ(vepc_remove_all(v, a, 0), 2);
  EXPECT_EQ(vepc_remove_all(v, b, 0), 0);
  EXPECT_EQ(vepc_remove_all(v, a, 0), 0);
  EXPECT_EQ(kind_at(v, a, 2), Kind::kFree);
}

TEST(UapiVepcModel, CloseRemovesTheChildrenBeforeTheirSecsWhereverTheyAre) {
  Vepc v;
  const int a = mapped_instance(v);
  ASSERT_TRUE(guest_ecreate(v, {a, 0}));
  ASSERT_TRUE(guest_eadd(v, {a, 3}, {a, 0}));
  vepc_close(v, a);
  EXPECT_EQ(v.open.count(a), 0u);
  EXPECT_TRUE(v.zombies.empty());
}

TEST(UapiVepcModel, CloseMakesAZombieOfASecsWhoseChildrenLiveInAnotherInstance) {
  Vepc v;
  const int a = mapped_instance(v);
  const int b = mapped_instance(v);
  ASSERT_TRUE(guest_ecreate(v, {a, 1}));
  ASSERT_TRUE(guest_ecreate(v, {a, 2}));
  ASSERT_TRUE(guest_eadd(v, {b, 0}, {a, 1}));
  ASSERT_TRUE(guest_eadd(v, {a, 0}, {a, 2}));
  vepc_close(v, a);
  EXPECT_EQ(v.zombies, (std::set<VepcPageRef>{{a, 1}}));
  EXPECT_TRUE(v.has_children({a, 1}));
}

TEST(UapiVepcModel, AZombieStaysWhileItsChildrenDo) {
  Vepc v;
  const int a = mapped_instance(v);
  const int b = mapped_instance(v);
  ASSERT_TRUE(guest_ecreate(v, {a, 0}));
  ASSERT_TRUE(guest_eadd(v, {b, 0}, {a, 0}));
  vepc_close(v, a);
  vepc_close(v, mapped_instance(v));
  EXPECT_EQ(v.zombies.size(), 1u) << "another release retries it, and EREMOVE refuses again";
}

TEST(UapiVepcModel, AZombieIsFreedByTheReleaseOfItsChildren) {
  Vepc v;
  const int a = mapped_instance(v);
  const int b = mapped_instance(v);
  ASSERT_TRUE(guest_ecreate(v, {a, 0}));
  ASSERT_TRUE(guest_eadd(v, {b, 3}, {a, 0}));
  vepc_close(v, a);
  ASSERT_EQ(v.zombies.size(), 1u);
  vepc_close(v, b);
  EXPECT_TRUE(v.zombies.empty());
}

TEST(UapiVepcModel, AZombieWhoseChildrenARemoveAllTookIsFreedByAnyLaterRelease) {
  Vepc v;
  const int a = mapped_instance(v);
  const int b = mapped_instance(v);
  ASSERT_TRUE(guest_ecreate(v, {a, 0}));
  ASSERT_TRUE(guest_eadd(v, {b, 0}, {a, 0}));
  vepc_close(v, a);
  EXPECT_EQ(vepc_remove_all(v, b, 0), 0);
  EXPECT_EQ(v.zombies.size(), 1u) << "REMOVE_ALL does not look at the zombies";
  vepc_close(v, vepc_open(v));
  EXPECT_TRUE(v.zombies.empty());
  EXPECT_EQ(v.open.at(b).pages.size(), 4u);
}

TEST(UapiVepcModel, ANewPageIsSigbusOnceVepcPagesAndZombiesFillTheRoom) {
  Vepc v;
  v.room = 5;
  const int a = mapped_instance(v);
  const int b = mapped_instance(v, 1);
  EXPECT_EQ(vepc_touch(v, b, 1), Touch::kSigbus);
  EXPECT_EQ(v.open.at(b).pages.size(), 1u) << "a refused touch allocates nothing";
  EXPECT_EQ(vepc_touch(v, b, 0), Touch::kMapped) << "a page already there needs no room";
  ASSERT_TRUE(guest_ecreate(v, {a, 0}));
  ASSERT_TRUE(guest_eadd(v, {b, 0}, {a, 0}));
  vepc_close(v, a);
  ASSERT_EQ(v.zombies.size(), 1u);
  for (uint64_t i = 1; i < 4; ++i) EXPECT_EQ(vepc_touch(v, b, i), Touch::kMapped) << i;
  const int c = mapped_instance(v, 0);
  EXPECT_EQ(vepc_touch(v, c, 0), Touch::kSigbus) << "the zombie still holds its page";
}

TEST(UapiVepcModel, AnEnclaveReadNeedsTwoPagesOfRoomForThePageAndItsSecs) {
  Vepc v;
  v.room = 6;
  const int a = mapped_instance(v);
  EXPECT_EQ(enclave_read(v), 0);
  const int b = mapped_instance(v, 1);
  EXPECT_EQ(enclave_read(v), err::kNoMem) << "room for the SECS only";
  EXPECT_TRUE(v.secs_pinned);
  ASSERT_EQ(vepc_touch(v, b, 1), Touch::kSigbus) << "the SECS took the last page";
  vepc_close(v, a);
  EXPECT_TRUE(v.secs_pinned) << "no reclaim frees a SECS with no child resident";
  EXPECT_EQ(enclave_read(v), 0);
  EXPECT_FALSE(v.secs_pinned) << "the SECS leaves with the child reclaim takes";
}

TEST(UapiVepcModel, AnEnclaveReadWithNoRoomLeavesTheSecsOut) {
  Vepc v;
  v.room = 4;
  (void)mapped_instance(v);
  EXPECT_EQ(enclave_read(v), err::kNoMem);
  EXPECT_FALSE(v.secs_pinned);
}

TEST(UapiVepcModel, CreateNeedsTwoPagesReclaimCouldFree) {
  Vepc v;
  v.room = 6;
  const int a = mapped_instance(v);
  EXPECT_EQ(enclave_create(v), 0);
  const int b = mapped_instance(v, 1);
  EXPECT_EQ(enclave_create(v), err::kNoMem) << "a VA page and a SECS need two";
  ASSERT_EQ(enclave_read(v), err::kNoMem);
  vepc_close(v, b);
  EXPECT_EQ(enclave_create(v), err::kNoMem) << "the pinned SECS leaves one page";
  vepc_close(v, a);
  EXPECT_EQ(enclave_create(v), 0);
}

}  // namespace
}  // namespace sgxref::model::uapi
