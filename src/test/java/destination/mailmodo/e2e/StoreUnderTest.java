package destination.mailmodo.e2e;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Map;
import java.util.UUID;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Which store the end-to-end suite runs on: the embedded SQLite file by default, or — with
 * {@code -Dtest.store=postgresql} (the build's second surefire run) — a database of its own, created on the
 * local PostgreSQL (127.0.0.1:5432, trust auth) for each application start and dropped after it.
 */
@QuarkusTestResource(StoreUnderTest.class)
public class StoreUnderTest implements QuarkusTestResourceLifecycleManager {

    static final String ADMIN_URL = "jdbc:postgresql://127.0.0.1:5432/postgres";
    private String database;

    public static boolean postgresql() {
        return "postgresql".equals(System.getProperty("test.store"));
    }

    @Override
    public Map<String, String> start() {
        if (!postgresql()) {
            return Map.of();
        }
        database = "mailmodo_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        execute("CREATE DATABASE " + database);
        return Map.of("destination.store", "postgresql",
                "destination.store.url", "jdbc:postgresql://127.0.0.1:5432/" + database,
                "destination.store.username", "postgres");
    }

    @Override
    public void stop() {
        if (database != null) {
            execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
            database = null;
        }
    }

    private static void execute(String sql) {
        try (Connection connection = DriverManager.getConnection(ADMIN_URL, "postgres", "");
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (Exception e) {
            throw new IllegalStateException("PostgreSQL on 127.0.0.1:5432 is needed for -Dtest.store=postgresql: " + e.getMessage(), e);
        }
    }
}
