package destination.mailmodo.routes;

import static destination.mailmodo.e2e.Sender.send;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.component.mock.MockEndpoint;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import destination.mailmodo.e2e.MailmodoStub;
import destination.mailmodo.e2e.TestKeys;

/**
 * The ingest's content-based router, with its three branches advised to mocks. Own profile: the advice
 * changes the ingest route for the whole application it runs in.
 */
@QuarkusTest
@QuarkusTestResource(MailmodoStub.class)
@TestProfile(ContentBasedRouterTest.AdvisedIngest.class)
class ContentBasedRouterTest {

    public static class AdvisedIngest implements QuarkusTestProfile {
    }

    @Inject
    CamelContext context;

    private static boolean advised;

    @BeforeEach
    void adviseOnce() throws Exception {
        if (!advised) {
            AdviceWith.adviceWith(context, "event", route -> {
                route.weaveById("to-identify").replace().to("mock:identify");
                route.weaveById("to-track").replace().to("mock:track");
                route.weaveById("to-unsupported").replace().to("mock:other");
            });
            AdviceWith.adviceWith(context, "ingest", route -> {
                route.weaveById("split-events").before().to("mock:splitter");
                route.weaveById("single-event").before().to("mock:single");
            });
            advised = true;
        }
        MockEndpoint.resetMocks(context);
    }

    @Test
    void eachTypeGoesToItsBranch() throws Exception {
        MockEndpoint identify = context.getEndpoint("mock:identify", MockEndpoint.class);
        MockEndpoint track = context.getEndpoint("mock:track", MockEndpoint.class);
        MockEndpoint other = context.getEndpoint("mock:other", MockEndpoint.class);
        identify.expectedHeaderValuesReceivedInAnyOrder("segmentType", "identify");
        track.expectedHeaderValuesReceivedInAnyOrder("segmentType", "track");
        other.expectedHeaderValuesReceivedInAnyOrder("segmentType", "page", "group", "custom");

        String key = TestKeys.fresh();
        send(key, "{\"type\":\"identify\",\"userId\":\"r1\",\"traits\":{\"email\":\"r1@example.com\"}}");
        send(key, "{\"type\":\"track\",\"userId\":\"r1\",\"event\":\"E\"}");
        send(key, "{\"type\":\"page\",\"userId\":\"r1\"}");
        send(key, "{\"type\":\"group\",\"userId\":\"r1\"}");
        send(key, "{\"type\":\"custom\",\"userId\":\"r1\"}");

        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void skippedAndInvalidEventsReachNoBranch() throws Exception {
        MockEndpoint identify = context.getEndpoint("mock:identify", MockEndpoint.class);
        MockEndpoint track = context.getEndpoint("mock:track", MockEndpoint.class);
        MockEndpoint other = context.getEndpoint("mock:other", MockEndpoint.class);
        identify.expectedMessageCount(0);
        track.expectedMessageCount(0);
        other.expectedMessageCount(0);

        String key = TestKeys.fresh();
        send(key, "{\"type\":\"identify\",\"integrations\":{\"Mailmodo\":false},\"traits\":{\"email\":\"r2@example.com\"}}").statusCode(200);
        send(key, "{\"type\":\"track\"}").statusCode(400);
        send(key, "{\"traits\":{}}").statusCode(400);

        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void onlyABatchIsSplit() throws Exception {
        MockEndpoint splitter = context.getEndpoint("mock:splitter", MockEndpoint.class);
        MockEndpoint single = context.getEndpoint("mock:single", MockEndpoint.class);
        MockEndpoint track = context.getEndpoint("mock:track", MockEndpoint.class);
        splitter.expectedMessageCount(1);
        single.expectedMessageCount(2);
        track.expectedMessageCount(4);

        String key = TestKeys.fresh();
        send(key, "{\"type\":\"track\",\"userId\":\"s1\",\"event\":\"E\"}");
        send(key, "{\"type\":\"track\"}").statusCode(400); // refused by validation: straight down the refusal's path
        send(key, "{\"batch\":[{\"type\":\"track\",\"userId\":\"s1\",\"event\":\"A\"},{\"type\":\"track\",\"userId\":\"s1\","
                + "\"event\":\"B\"},{\"type\":\"track\",\"userId\":\"s1\",\"event\":\"C\"}]}");

        MockEndpoint.assertIsSatisfied(context);
    }
}
