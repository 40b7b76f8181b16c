package org.fieldgrid.app

import android.app.Application
import android.content.Context
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.async
import org.fieldgrid.FieldGridClient

/**
 * Opens the encrypted store once per process. The store key is a random secret
 * wrapped by an Android Keystore key ([KeystoreSecret]); the sync token is kept
 * the same way.
 */
class FieldGridApp : Application() {
    val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)

    /** The client, opened in the background at start-up. */
    val client by lazy {
        scope.async {
            val key = KeystoreSecret(this@FieldGridApp, "store-key").getOrCreate()
            FieldGridClient.open(
                path = getDatabasePath("fieldgrid.sqlite").also { it.parentFile?.mkdirs() }.path,
                key = key,
                serverUrl = BuildConfig.SERVER_URL,
            )
        }
    }

    /** Saved session: the sync token and the signed-in staff id. */
    val session by lazy { Session(this) }
}

/** The signed-in person and their device token, encrypted with the Keystore. */
class Session(private val context: Context) {
    private val prefs = context.getSharedPreferences("session", Context.MODE_PRIVATE)
    private val tokenSecret = KeystoreSecret(context, "sync-token")

    var staffId: String?
        get() = prefs.getString("staff", null)
        set(value) = prefs.edit().putString("staff", value).apply()

    var registrationId: String?
        get() = prefs.getString("registration", null)
        set(value) = prefs.edit().putString("registration", value).apply()

    var token: String?
        get() = tokenSecret.read()?.decodeToString()
        set(value) = if (value == null) tokenSecret.delete() else tokenSecret.write(value.encodeToByteArray())
}
