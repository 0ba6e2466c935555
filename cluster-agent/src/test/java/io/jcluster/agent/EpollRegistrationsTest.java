package io.jcluster.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The registrations the agent keeps across its {@code dup2}, read from the kernel's own fdinfo. */
class EpollRegistrationsTest {
    @Test
    void aLineOfFdinfoIsReadForItsDescriptorOnly() {
        EpollRegistrations.Registration read = EpollRegistrations.parse(7, 12, "tfd:       12 events:       19 data:                c  pos:0 ino:5 sdev:8");
        assertEquals(new EpollRegistrations.Registration(7, 0x19), read);
        assertEquals(0x80000001, EpollRegistrations.parse(7, 12, "tfd: 12 events: 80000001 data: c pos:0").events());
        assertNull(EpollRegistrations.parse(7, 12, "tfd: 13 events: 19 data: d pos:0"));
        assertEquals(0x19, EpollRegistrations.parse(7, 12, "tfd: 12 events: 19 data: 7f830000000c pos:0").events(), "data.fd is the low half");
        assertNull(EpollRegistrations.parse(7, 12, "tfd: 12 events: 19 data: 7f830000000d pos:0"), "data that is not the descriptor");
        assertNull(EpollRegistrations.parse(7, 12, "flags:\t02000002"));
    }

    @Test
    void aChannelRegisteredWithASelectorIsFoundInItsEpoll() throws IOException {
        Map<Integer, String> before = ProcSelf.descriptors("socket:");
        try (ServerSocketChannel channel = ServerSocketChannel.open(); Selector selector = Selector.open()) {
            // The channel's descriptor: the one socket that is new (by the socket's identity: numbers are reused).
            Map<Integer, String> fresh = new HashMap<>(ProcSelf.descriptors("socket:"));
            fresh.values().removeAll(before.values());
            assertEquals(1, fresh.size(), () -> "new sockets: " + fresh);
            int fd = fresh.keySet().iterator().next();
            channel.bind(new InetSocketAddress("127.0.0.1", 0));
            channel.configureBlocking(false);
            channel.register(selector, SelectionKey.OP_ACCEPT);
            selector.selectNow(); // the JDK adds to its epoll at the next select
            List<EpollRegistrations.Registration> found = EpollRegistrations.of(fd);
            assertEquals(1, found.size(), () -> "registrations of descriptor " + fd + ": " + found);
            assertTrue((found.get(0).events() & 1) != 0, "EPOLLIN, for OP_ACCEPT");
        }
    }
}
