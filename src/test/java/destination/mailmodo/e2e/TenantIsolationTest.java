package destination.mailmodo.e2e;

import static destination.mailmodo.e2e.Sender.send;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.test.common.QuarkusTestResource;
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
        send(tenantB, "{\"type\":\"track\",\"userId\":\"shared-user\",\"event\":\"Viewed\"}").statusCode(400)
                .body("reason", equalTo("unknown_user"));
        assertEquals(0, MailmodoRequests.all(tenantB).size());

        send(tenantB, "{\"type\":\"identify\",\"userId\":\"shared-user\",\"traits\":{\"email\":\"bob@b.example.com\"}}").statusCode(200);
        send(tenantA, "{\"type\":\"track\",\"userId\":\"shared-user\",\"event\":\"Viewed\"}").statusCode(200);
        send(tenantB, "{\"type\":\"track\",\"userId\":\"shared-user\",\"event\":\"Viewed\"}").statusCode(200);

        assertEquals("alice@a.example.com", emailOfOnlyEvent(tenantA));
        assertEquals("bob@b.example.com", emailOfOnlyEvent(tenantB));
    }

    private static String emailOfOnlyEvent(String key) {
        var events = MailmodoRequests.to("/addEvent", key);
        assertEquals(1, events.size());
        return MailmodoRequests.tree(events.get(0).getBodyAsString()).get("email").asText();
    }
}
