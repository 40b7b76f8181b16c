package org.fieldgrid.app

import android.annotation.SuppressLint
import android.app.Notification
import android.app.NotificationChannel
import android.app.NotificationManager
import android.content.Context
import android.content.Intent
import android.content.pm.ServiceInfo
import android.location.Location
import android.net.ConnectivityManager
import android.os.Build
import android.os.Looper
import androidx.lifecycle.LifecycleService
import androidx.lifecycle.lifecycleScope
import com.google.android.gms.location.LocationCallback
import com.google.android.gms.location.LocationRequest
import com.google.android.gms.location.LocationResult
import com.google.android.gms.location.LocationServices
import com.google.android.gms.location.Priority
import kotlinx.coroutines.delay
import kotlinx.coroutines.isActive
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import org.fieldgrid.FixBatcher
import org.fieldgrid.ffi.FixInput
import org.fieldgrid.ffi.ProviderInfo

/**
 * The foreground location service of a running patrol: fused locations at 1 Hz,
 * handed to the core in batches ([FixBatcher]: 30 fixes or 15 s), flushed when the
 * patrol stops or the service dies. Mock locations are passed on flagged, for the
 * authenticity checks, not dropped. While a network is up, the latest position
 * goes to the command centre's live map once a minute.
 */
class PatrolService : LifecycleService() {
    private var batcher: FixBatcher? = null
    private val locations by lazy { LocationServices.getFusedLocationProviderClient(this) }

    private val callback = object : LocationCallback() {
        override fun onLocationResult(result: LocationResult) {
            val b = batcher ?: return
            lifecycleScope.launch { result.locations.forEach { b.add(it.toFix()) } }
        }
    }

    @SuppressLint("MissingPermission") // granted before the patrol screen starts us
    override fun onStartCommand(intent: Intent?, flags: Int, startId: Int): Int {
        super.onStartCommand(intent, flags, startId)
        val patrolId = intent?.getStringExtra(EXTRA_PATROL) ?: return START_NOT_STICKY
        startForeground(1, notification(), ServiceInfo.FOREGROUND_SERVICE_TYPE_LOCATION)
        lifecycleScope.launch {
            val client = (application as FieldGridApp).client.await()
            batcher = FixBatcher(client, patrolId)
            val request = LocationRequest.Builder(Priority.PRIORITY_HIGH_ACCURACY, 1_000L)
                .setMinUpdateIntervalMillis(1_000L)
                .setMaxUpdateDelayMillis(15_000L) // let the OS batch too: saves battery
                .build()
            locations.requestLocationUpdates(request, callback, Looper.getMainLooper())
            // Live position for the command centre, once a minute while there is a
            // network; nothing is sent or queued without one.
            val session = Session(this@PatrolService)
            val network = getSystemService(ConnectivityManager::class.java)
            while (isActive) {
                delay(60_000L)
                val token = session.token ?: continue
                if (network.activeNetwork == null) continue
                batcher?.flush()
                runCatching { client.sendPosition(token) }
            }
        }
        return START_REDELIVER_INTENT
    }

    override fun onDestroy() {
        locations.removeLocationUpdates(callback)
        // Fixes already received must reach the store before the process may die.
        batcher?.let { runBlocking { it.flush() } }
        super.onDestroy()
    }

    private fun notification(): Notification {
        val nm = getSystemService(NotificationManager::class.java)
        nm.createNotificationChannel(
            NotificationChannel(CHANNEL, getString(R.string.patrol_channel), NotificationManager.IMPORTANCE_LOW),
        )
        return Notification.Builder(this, CHANNEL)
            .setContentTitle(getString(R.string.app_name))
            .setContentText(getString(R.string.patrol_running))
            .setSmallIcon(android.R.drawable.ic_menu_mylocation)
            .setOngoing(true)
            .build()
    }

    companion object {
        const val EXTRA_PATROL = "patrol"
        private const val CHANNEL = "patrol"

        fun start(context: Context, patrolId: String) =
            context.startForegroundService(Intent(context, PatrolService::class.java).putExtra(EXTRA_PATROL, patrolId))

        fun stop(context: Context) = context.stopService(Intent(context, PatrolService::class.java))
    }
}

private fun Location.toFix() = FixInput(
    timeMs = time,
    lat = latitude,
    lon = longitude,
    accuracyM = if (hasAccuracy()) accuracy else 999f,
    altitudeM = if (hasAltitude()) altitude.toFloat() else null,
    speedMps = if (hasSpeed()) speed else null,
    bearingDeg = if (hasBearing()) bearing else null,
    provider = when (provider) {
        "gps" -> ProviderInfo.GPS
        "network" -> ProviderInfo.NETWORK
        "fused" -> ProviderInfo.FUSED
        else -> ProviderInfo.UNKNOWN
    },
    mock = if (Build.VERSION.SDK_INT >= 31) isMock else @Suppress("DEPRECATION") isFromMockProvider,
)
