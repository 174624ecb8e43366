package com.mintreplica.backup.jobs.internal.doctor;

import com.mintreplica.backup.jobs.DoctorReport.Finding;
import com.mintreplica.backup.jobs.internal.Redactor;
import com.mintreplica.backup.jobs.internal.drill.MongoScratch;
import com.mongodb.ConnectionString;
import com.mongodb.MongoSecurityException;
import com.mongodb.client.MongoClient;
import java.util.Map;
import org.bson.Document;

/** A MongoDB job's server as a doctor finding: it answers, the login works, its version. */
public final class MongoChecks {
    private MongoChecks() {
    }

    /**
     * Connects with the job's (or drill's) connection string and login, and reads the server's version.
     *
     * @param field the config field of the location, for fixes: {@code jobs.NAME.source}
     */
    public static Finding server(String uri, Map<String, String> environment, String subject, String field,
                                 Redactor redactor) {
        String hosts;
        try {
            hosts = new ConnectionString(uri).getHosts().toString();
        } catch (RuntimeException e) {
            return Finding.problem("database", subject, redactor.message(e), "correct " + field + ".location");
        }
        try (MongoClient client = MongoScratch.client(uri, environment)) {
            Document info = client.getDatabase("admin").runCommand(new Document("buildInfo", 1));
            client.listDatabaseNames().first(); // needs the login, where buildInfo may not
            return Finding.ok("database", subject, "connected to MongoDB " + info.get("version") + " at " + hosts);
        } catch (MongoSecurityException e) {
            return Finding.problem("database", subject, "MongoDB at " + hosts + " refused the login: "
                    + redactor.message(e), "give the right password in " + field + ".password (env:NAME or file:/path),"
                    + " and the user's authSource in the location");
        } catch (RuntimeException e) {
            return Finding.problem("database", subject, "cannot reach MongoDB at " + hosts + ": " + redactor.message(e),
                    "check " + field + ".location (hosts, replicaSet, TLS), that the servers run and accept connections"
                    + " from this host, and the network between");
        }
    }
}
