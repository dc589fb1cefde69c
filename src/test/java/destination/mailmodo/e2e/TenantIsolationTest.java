package destination.mailmodo.e2e;

import static destination.mailmodo.e2e.Sender.send;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import destination.mailmodo.store.Store;
import io.quarkus.test.common.QuarkusTestResource;
import jakarta.inject.Inject;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/** One instance, many Mailmodo accounts: a tenant never sees another tenant's contacts. */
@QuarkusTest
@QuarkusTestResource(MailmodoStub.class)
class TenantIsolationTest {

    @Test
    void sameUserIdInTwoTenantsResolvesToEachTenantsOwnEmail() {
        String tenantA = TestKeys.fresh();
        String tenantB = TestKeys.fresh();
        send(tenantA, "{\"type\":\"identify\",\"userId\":\"shared-user\",\"traits\":{\"email\":\"alice@a.example.com\"}}").statusCode(200);

        // B has never identified shared-user: A's contact must not leak into B's account
        send(tenantB, "{\"type\":\"track\",\"userId\":\"shared-user\",\"messageId\":\"b-first\",\"event\":\"Viewed\"}").statusCode(400)
                .body("reason", equalTo("unknown_user"));
        assertEquals(0, MailmodoRequests.all(tenantB).size());

        send(tenantB, "{\"type\":\"identify\",\"userId\":\"shared-user\",\"traits\":{\"email\":\"bob@b.example.com\"}}").statusCode(200);
        send(tenantA, "{\"type\":\"track\",\"userId\":\"shared-user\",\"event\":\"Viewed\"}").statusCode(200);
        send(tenantB, "{\"type\":\"track\",\"userId\":\"shared-user\",\"messageId\":\"b-second\",\"event\":\"Viewed\"}").statusCode(200);

        assertEquals("alice@a.example.com", emailOfOnlyEvent(tenantA));
        assertEquals("bob@b.example.com", emailOfOnlyEvent(tenantB));
    }

    @Inject
    Store store;

    @Test
    void storeHoldsTheTenantHashNeverTheKey() throws Exception {
        String key = TestKeys.fresh();
        send(key, "{\"type\":\"identify\",\"userId\":\"u-hash-check\",\"anonymousId\":\"a-hash-check\",\"traits\":{\"email\":\"hash@example.com\"}}")
                .statusCode(200);
        String expectedTenant = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(key.getBytes(StandardCharsets.UTF_8))).substring(0, 16);
        List<String> rows = new ArrayList<>();
        try (Connection connection = store.dataSource().getConnection();
                ResultSet row = connection.createStatement().executeQuery(
                        "SELECT tenant, id_kind, id, email FROM known_contact WHERE id IN ('u-hash-check', 'a-hash-check') ORDER BY id_kind")) {
            while (row.next()) {
                rows.add(row.getString(1) + "|" + row.getString(2) + "|" + row.getString(3) + "|" + row.getString(4));
            }
        }
        assertEquals(List.of(expectedTenant + "|anonymous|a-hash-check|hash@example.com",
                expectedTenant + "|user|u-hash-check|hash@example.com"), rows);
        try (Connection connection = store.dataSource().getConnection();
                ResultSet count = connection.createStatement().executeQuery(
                        "SELECT COUNT(*) FROM known_contact WHERE tenant LIKE '%" + TestKeys.PREFIX + "%' OR id LIKE '%" + TestKeys.PREFIX + "%'")) {
            count.next();
            assertEquals(0, count.getInt(1), "rows holding an API key");
        }
    }

    private static String emailOfOnlyEvent(String key) {
        var events = MailmodoRequests.to("/addEvent", key);
        assertEquals(1, events.size());
        return MailmodoRequests.tree(events.get(0).getBodyAsString()).get("email").asText();
    }
}
