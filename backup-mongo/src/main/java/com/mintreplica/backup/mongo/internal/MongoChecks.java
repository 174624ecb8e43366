package com.mintreplica.backup.mongo.internal;

import com.mintreplica.backup.core.drill.Preflight;
import com.mintreplica.backup.core.drill.Preflight.Finding;
import java.net.URI;
import java.util.List;
import com.mongodb.ConnectionString;
import com.mongodb.MongoSecurityException;
import com.mongodb.client.MongoClient;
import java.util.Map;
import org.bson.Document;

/** A MongoDB job's server as a doctor finding: it answers, the login works, its version. */
public final class MongoChecks implements Preflight {
    @Override
    public List<Finding> source(URI location, Map<String, String> options, Map<String, String> environment,
                                String field) {
        return List.of(server(location.toString(), environment, field));
    }

    private static String message(Exception e) {
        return e.getMessage() == null || e.getMessage().isBlank() ? e.getClass().getSimpleName() : e.getMessage();
    }

    /**
     * Connects with the job's (or drill's) connection string and login, and reads the server's version.
     *
     * @param field the config field of the location, for fixes: {@code jobs.NAME.source}
     */
    static Finding server(String uri, Map<String, String> environment, String field) {
        String hosts;
        try {
            hosts = new ConnectionString(uri).getHosts().toString();
        } catch (RuntimeException e) {
            return Finding.problem("database", message(e), "correct " + field + ".location");
        }
        try (MongoClient client = MongoScratch.client(uri, environment)) {
            Document info = client.getDatabase("admin").runCommand(new Document("buildInfo", 1));
            client.listDatabaseNames().first(); // needs the login, where buildInfo may not
            return Finding.ok("database", "connected to MongoDB " + info.get("version") + " at " + hosts);
        } catch (MongoSecurityException e) {
            return Finding.problem("database", "MongoDB at " + hosts + " refused the login: "
                    + message(e), "give the right password in " + field + ".password (env:NAME or file:/path),"
                    + " and the user's authSource in the location");
        } catch (RuntimeException e) {
            return Finding.problem("database", "cannot reach MongoDB at " + hosts + ": " + message(e),
                    "check " + field + ".location (hosts, replicaSet, TLS), that the servers run and accept connections"
                    + " from this host, and the network between");
        }
    }
}
