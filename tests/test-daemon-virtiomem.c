/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon with a virtio-mem guest on libvirt's test driver (see
 * test-daemon-fixture.h): its size is boot memory plus the device's
 * plugged size, its floor the boot memory, its balloon is never set, and a
 * grow goes to the memory device. */
#include "test-daemon-fixture.h"

#define VMEM "vmem"
#define VMEM_BASE_KIB (512 * MiB)

static const char vmemXml[] =
    "<domain type='test'>\n"
    "  <name>" VMEM "</name>\n"
    "  <metadata>\n"
    "    <autoballoon:policy xmlns:autoballoon='https://autoballoon.org/xmlns/policy/1'"
    " state='on' backend='virtio-mem' device='0' element='no'/>\n"
    "  </metadata>\n"
    "  <maxMemory slots='4' unit='MiB'>2048</maxMemory>\n"
    "  <memory unit='MiB'>1536</memory>\n"
    "  <currentMemory unit='MiB'>768</currentMemory>\n"
    "  <vcpu>1</vcpu>\n"
    "  <os><type arch='i686'>hvm</type></os>\n"
    "  <cpu><numa><cell id='0' cpus='0' memory='512' unit='MiB'/></numa></cpu>\n"
    "  <devices>\n"
    "    <memory model='virtio-mem'>\n"
    "      <target>\n"
    "        <size unit='MiB'>1024</size>\n"
    "        <node>0</node>\n"
    "        <block unit='MiB'>2</block>\n"
    "        <requested unit='MiB'>0</requested>\n"
    "      </target>\n"
    "    </memory>\n"
    "    <memballoon model='virtio'><stats period='2'/></memballoon>\n"
    "  </devices>\n"
    "</domain>\n";

static void
createVmem(Fixture *f)
{
    virDomainPtr dom = virDomainCreateXML(f->conn, vmemXml, 0);

    if (!dom)
        g_error("create " VMEM ": %s", virGetLastErrorMessage());
    virDomainFree(dom);
    waitFor(info(f, VMEM).managed);
}

/* Pressure cannot take it below its boot memory, and the balloon is never
 * set: its size is the device's. */
static void
testFloorIsBootMemory(Fixture *f, gconstpointer data)
{
    abConfStatus st = { 0 };
    unsigned int before = abDaemonCountSetMemory(f->daemon);

    createVmem(f);
    tick(f, 2);
    /* the test driver plugs nothing: boot memory + 0 */
    g_assert_cmpuint(info(f, VMEM).actualKiB, ==, VMEM_BASE_KIB);
    inject(f, VMEM, AB_LEVEL_CRITICAL, 0);
    for (int i = 0; i < 5; i++)
        tick(f, 2);
    g_assert_cmpuint(abDaemonCountSetMemory(f->daemon), ==, before);
    g_assert_cmpuint(libvirtMemory(f, VMEM), ==, 768 * MiB);
    g_assert_true(readStatus(f, VMEM, &st));
    g_assert_cmpstr(st.reason, ==, abPolicyReasonToString(AB_POLICY_REASON_AT_FLOOR));
    g_assert_cmpuint(st.actualKiB, ==, VMEM_BASE_KIB);
    g_assert_cmpuint(st.targetKiB, >=, VMEM_BASE_KIB);
    abConfStatusClear(&st);
}

/* Guest pressure grows it through its memory device, not its balloon.
 * The test driver cannot update a memory device: the failure names the
 * domain and the requested size, and the target stays. */
static void
testGrowGoesToDevice(Fixture *f, gconstpointer data)
{
    createVmem(f);
    tick(f, 2);
    f->hook.usedKiB = 700 * MiB;
    tick(f, 2);
    assertLogged("WARNING", VMEM ": cannot set target 524288 KiB -> ",
                 "(guest-pressure): cannot set requested-size ");
    /* no size was set on it (the other guests of the node may grow) */
    g_assert_cmpint(testLogFind("MESSAGE", VMEM ": target ", NULL), ==, -1);
    g_assert_cmpuint(libvirtMemory(f, VMEM), ==, 768 * MiB);
    g_assert_cmpuint(info(f, VMEM).targetKiB, ==, VMEM_BASE_KIB);
}

static const FixtureTest tests[] = {
    { "/daemon/virtio-mem/floor-is-boot-memory", testFloorIsBootMemory },
    { "/daemon/virtio-mem/grow-goes-to-device", testGrowGoesToDevice },
};

FIXTURE_MAIN(tests)
