// The selftests' test enclave (user/test_encl.h) run through the vDSO: each operation
// of test_encl.c does what it does there, with every access going through the CPU's
// TLB and page walk, and faults the kernel resolves staying invisible to the caller.
#include <gtest/gtest.h>

#include "uapi/sgx_code.h"
#include "user_fixture.h"

namespace sgxref::user {
namespace {

using test_encl::kTcs1;
using test_encl::kTcs2;

class TestEncl : public UserFixture {};

TEST_F(TestEncl, BufferStartsAsTheImageWroteIt) { EXPECT_EQ(buffer_value(), 1u); }

TEST_F(TestEncl, PutToBufferThenGetFromBufferRoundTrips) {
  EXPECT_EQ(call(EnclOpPutToBuf{{kEnclOpPutToBuffer}, kMagic}), 0);
  EXPECT_EQ(run_.function, uapi::enclu::kEexit);
  EXPECT_EQ(buffer_value(), kMagic);
}

TEST_F(TestEncl, NopEntersAndExitsThroughEachTcs) {
  for (uint64_t tcs : {kTcs1, kTcs2}) {
    run_.function = 0;
    EXPECT_EQ(call(EnclOpHeader{kEnclOpNop}, tcs), 0);
    EXPECT_EQ(run_.function, uapi::enclu::kEexit) << "TCS at " << tcs;
  }
  EXPECT_EQ(counters().aex, 0u);
}

TEST_F(TestEncl, BothThreadsShareTheBuffer) {
  EXPECT_EQ(call(EnclOpPutToBuf{{kEnclOpPutToBuffer}, kMagic}, kTcs2), 0);
  EXPECT_EQ(buffer_value(), kMagic);  // read through TCS #1
}

TEST_F(TestEncl, UnknownOperationDoesNothing) {
  EXPECT_EQ(call(EnclOpPutToBuf{{kEnclOpMax}, kMagic}), 0);
  EXPECT_EQ(run_.function, uapi::enclu::kEexit);
  EXPECT_EQ(buffer_value(), 1u);
}

TEST_F(TestEncl, GetFromAddressFaultsInAMissingUserPage) {
  const hw::LAddr page = user_mem(hw::kPageSize);
  ASSERT_FALSE(pt().get(page).present);
  const uint64_t aex = counters().aex;
  EXPECT_EQ(call(EnclOpGetFromAddr{{kEnclOpGetFromAddress}, kMagic, page + 16}), 0);
  EXPECT_EQ(run_.function, uapi::enclu::kEexit);
  EXPECT_EQ(result<EnclOpGetFromAddr>().value, 0u);  // fresh anonymous memory
  EXPECT_EQ(counters().aex, aex + 1);                // the #PF, resolved by the kernel
  EXPECT_TRUE(pt().get(page).present);
}

TEST_F(TestEncl, PutToAddressFaultsInAMissingUserPageForWriting) {
  const hw::LAddr page = user_mem(hw::kPageSize);
  const uint64_t aex = counters().aex;
  EXPECT_EQ(call(EnclOpPutToAddr{{kEnclOpPutToAddress}, kMagic, page + 8}), 0);
  EXPECT_EQ(run_.function, uapi::enclu::kEexit);
  EXPECT_EQ(counters().aex, aex + 1);
  EXPECT_EQ(get<uint64_t>(page + 8), kMagic);
}

TEST_F(TestEncl, EacceptAcceptsAnAugmentedPageOnce) {
  constexpr uint64_t kAug = test_encl::kImageEnd;
  ASSERT_EQ(eaug(kAug), hw::Result::ok());
  EXPECT_EQ(call(EnclOpEaccept{{kEnclOpEaccept}, la(kAug), kReg | kR | kW | kPending, 99}), 0);
  EXPECT_EQ(run_.function, uapi::enclu::kEexit);
  EXPECT_EQ(result<EnclOpEaccept>().ret, 0u);

  EXPECT_EQ(call(EnclOpPutToAddr{{kEnclOpPutToAddress}, kMagic, la(kAug) + 8}), 0);
  EXPECT_EQ(call(EnclOpGetFromAddr{{kEnclOpGetFromAddress}, 0, la(kAug) + 8}), 0);
  EXPECT_EQ(result<EnclOpGetFromAddr>().value, kMagic);

  // The page is no longer pending: a second EACCEPT is refused with its code in RAX.
  EXPECT_EQ(call(EnclOpEaccept{{kEnclOpEaccept}, la(kAug), kReg | kR | kW | kPending, 0}), 0);
  EXPECT_EQ(result<EnclOpEaccept>().ret, uint64_t(uapi::SgxCode::kPageAttributesMismatch));
}

// sgxref's own operation: EACCEPTCOPY of the buffer's page into an augmented page, with
// the rights its SECINFO asks for.
TEST_F(TestEncl, EacceptCopyFillsAnAugmentedPageFromAnotherWithTheRightsAsked) {
  constexpr uint64_t kAug = test_encl::kImageEnd;
  ASSERT_EQ(eaug(kAug), hw::Result::ok());
  EXPECT_EQ(call(EnclOpEacceptCopy{{kEnclOpEacceptCopy}, la(kAug), kReg | kR, 99,
                                   la(test_encl::kBuffer)}),
            0);
  EXPECT_EQ(run_.function, uapi::enclu::kEexit);
  EXPECT_EQ(result<EnclOpEacceptCopy>().ret, 0u);
  EXPECT_EQ(call(EnclOpGetFromAddr{{kEnclOpGetFromAddress}, 0, la(kAug)}), 0);
  EXPECT_EQ(result<EnclOpGetFromAddr>().value, 1u) << "the buffer's first word, copied";
  // No longer pending: a second EACCEPTCOPY is refused with its code in RAX.
  EXPECT_EQ(call(EnclOpEacceptCopy{{kEnclOpEacceptCopy}, la(kAug), kReg | kR, 0,
                                   la(test_encl::kBuffer)}),
            0);
  EXPECT_EQ(result<EnclOpEacceptCopy>().ret, uint64_t(uapi::SgxCode::kPageAttributesMismatch));
}

TEST_F(TestEncl, InitTcsPageWritesATcsThatEmodtAndEacceptMakeEnterable) {
  // The selftests' tcs_create, phase 1: a TCS and its SSA frame in augmented pages.
  constexpr uint64_t kNewTcs = test_encl::kImageEnd;
  constexpr uint64_t kNewSsa = kNewTcs + hw::kPageSize;
  for (uint64_t page : {kNewTcs, kNewSsa}) {
    ASSERT_EQ(eaug(page), hw::Result::ok());
    ASSERT_EQ(call(EnclOpEaccept{{kEnclOpEaccept}, la(page), kReg | kR | kW | kPending, 99}), 0);
    ASSERT_EQ(result<EnclOpEaccept>().ret, 0u);
  }
  EXPECT_EQ(call(EnclOpInitTcsPage{{kEnclOpInitTcsPage}, la(kNewTcs), kNewSsa, test_encl::kText}),
            0);
  EXPECT_EQ(run_.function, uapi::enclu::kEexit);

  ASSERT_EQ(modify_type(kNewTcs, kTcsType), hw::Result::ok());
  EXPECT_EQ(call(EnclOpEaccept{{kEnclOpEaccept}, la(kNewTcs), kTcsType | kModified, 99}), 0);
  EXPECT_EQ(result<EnclOpEaccept>().ret, 0u);  // EACCEPT checks the TCS is well formed

  EXPECT_EQ(call(EnclOpPutToBuf{{kEnclOpPutToBuffer}, kMagic}, kNewTcs), 0);
  EXPECT_EQ(run_.function, uapi::enclu::kEexit);
  EXPECT_EQ(buffer_value(), kMagic);
}

TEST_F(TestEncl, DynEntryTakesTheSecinfoBlockFromThePageBeforeItsTcs) {
  // tcs_create's layout: stack page, TCS, SSA frame, all augmented; a TCS at run time has
  // no stack page at Layout::scratch from it, so it enters at encl_dyn_entry.
  constexpr uint64_t kStack = test_encl::kImageEnd;
  constexpr uint64_t kNewTcs = kStack + hw::kPageSize;
  constexpr uint64_t kNewSsa = kNewTcs + hw::kPageSize;
  constexpr uint64_t kAug = kNewSsa + hw::kPageSize;
  for (uint64_t page : {kStack, kNewTcs, kNewSsa}) {
    ASSERT_EQ(eaug(page), hw::Result::ok());
    ASSERT_EQ(call(EnclOpEaccept{{kEnclOpEaccept}, la(page), kReg | kR | kW | kPending, 99}), 0);
    ASSERT_EQ(result<EnclOpEaccept>().ret, 0u);
  }
  ASSERT_EQ(call(EnclOpInitTcsPage{{kEnclOpInitTcsPage}, la(kNewTcs), kNewSsa, test_encl::kDynEntry}),
            0);
  ASSERT_EQ(modify_type(kNewTcs, kTcsType), hw::Result::ok());
  ASSERT_EQ(call(EnclOpEaccept{{kEnclOpEaccept}, la(kNewTcs), kTcsType | kModified, 99}), 0);
  ASSERT_EQ(result<EnclOpEaccept>().ret, 0u);

  // An EACCEPT needs the SECINFO block: through the new TCS it is built in the stack page.
  ASSERT_EQ(eaug(kAug), hw::Result::ok());
  EXPECT_EQ(call(EnclOpEaccept{{kEnclOpEaccept}, la(kAug), kReg | kR | kW | kPending, 99}, kNewTcs),
            0);
  EXPECT_EQ(run_.function, uapi::enclu::kEexit);
  EXPECT_EQ(result<EnclOpEaccept>().ret, 0u);
  EXPECT_EQ(call(EnclOpGetFromAddr{{kEnclOpGetFromAddress}, 0, la(kNewTcs) - 64}), 0);
  EXPECT_EQ(result<EnclOpGetFromAddr>().value, kReg | kR | kW | kPending);
}

}  // namespace
}  // namespace sgxref::user
