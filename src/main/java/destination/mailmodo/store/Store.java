package destination.mailmodo.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.function.Supplier;

import javax.sql.DataSource;

import io.agroal.api.AgroalDataSource;
import io.quarkus.agroal.DataSource.DataSourceLiteral;
import io.quarkus.arc.InjectableInstance;
import io.quarkus.runtime.configuration.ConfigurationException;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.inject.Any;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The database all state lives in, chosen by {@code destination.store} (DESIGN §7, §9b): the embedded SQLite
 * file under {@code destination.data-dir} (written through one connection with group commit), or the shared
 * PostgreSQL of several instances. Same SQL on both.
 */
@Singleton
public class Store {

    public static final String EMBEDDED = "embedded";
    public static final String POSTGRESQL = "postgresql";

    private final String kind;
    private final DataSource dataSource;

    @Inject
    public Store(@ConfigProperty(name = "destination.store") String kind,
            @ConfigProperty(name = "destination.data-dir") String dataDir,
            @Any InjectableInstance<AgroalDataSource> dataSources) {
        this.kind = kind.trim().toLowerCase();
        switch (this.kind) {
            case EMBEDDED -> {
                createDirectory(Path.of(dataDir));
                try {
                    this.dataSource = new GroupCommit(dataSources.select(new DataSourceLiteral("embedded")).get());
                } catch (SQLException e) {
                    throw new StoreUnavailable(e);
                }
            }
            case POSTGRESQL -> {
                var shared = dataSources.select(new DataSourceLiteral("shared"));
                if (shared.listActive().isEmpty()) {
                    throw new ConfigurationException("invalid setting destination.store.url: must be set (a jdbc:postgresql: URL) when destination.store=postgresql");
                }
                this.dataSource = shared.listActive().get(0);
            }
            default -> throw new ConfigurationException("invalid setting destination.store: must be embedded or postgresql, got \"" + kind + "\"");
        }
    }

    /** A store over a data source already open: the embedded one when it commits in groups. */
    Store(DataSource dataSource) {
        this.kind = dataSource instanceof GroupCommit ? EMBEDDED : POSTGRESQL;
        this.dataSource = dataSource;
    }

    @PreDestroy
    void close() throws SQLException {
        if (dataSource instanceof GroupCommit groupCommit) {
            groupCommit.close();
        }
    }

    /**
     * Runs several store operations of this thread as one: on the embedded store they share one commit (one
     * wait for the disk instead of one per operation); on PostgreSQL each commits as usual.
     */
    public <T> T inOneCommit(Supplier<T> operations) {
        if (!(dataSource instanceof GroupCommit)) {
            return operations.get();
        }
        T result;
        try (Connection held = dataSource.getConnection()) {
            result = operations.get();
        } catch (SQLException e) {
            throw new StoreUnavailable(e);
        }
        return result;
    }

    /** The named datasource holding state ("embedded" or "shared"). */
    public String dataSourceName() {
        return EMBEDDED.equals(kind) ? "embedded" : "shared";
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /** Text as the store can hold it: PostgreSQL refuses NUL, which becomes U+FFFD (nothing else changes). */
    public static String storable(String text) {
        return text == null ? null : text.replace('\u0000', '\uFFFD');
    }

    private static void createDirectory(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("destination.data-dir " + dir.toAbsolutePath() + " cannot be created", e);
        }
    }
}
