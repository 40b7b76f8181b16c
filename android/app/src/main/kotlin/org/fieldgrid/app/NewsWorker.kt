package org.fieldgrid.app

import android.content.Context
import androidx.work.Constraints
import androidx.work.CoroutineWorker
import androidx.work.ExistingPeriodicWorkPolicy
import androidx.work.NetworkType
import androidx.work.PeriodicWorkRequestBuilder
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import java.util.concurrent.TimeUnit
import org.fieldgrid.ffi.ApiException

/**
 * The background "anything for me?" job: one small request
 * ([org.fieldgrid.FieldGridClient.syncIfNews]); a full sync only when a dispatch,
 * an urge, a return or a case to verify waits for this person, or changes wait to
 * be sent. WorkManager runs it with a network constraint; its shortest period is
 * 15 minutes, so the app also runs it on coming to the foreground.
 */
class NewsWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    override suspend fun doWork(): Result {
        val app = applicationContext as FieldGridApp
        val token = app.session.token ?: return Result.success()
        val client = app.client.await()
        return try {
            client.syncIfNews(token)
            Result.success()
        } catch (e: ApiException.Offline) {
            Result.retry()
        } catch (e: ApiException.DeviceRevoked) {
            app.session.staffId = null
            Result.failure()
        } catch (e: ApiException) {
            Result.retry()
        }
    }

    companion object {
        private const val NAME = "fieldgrid-news"

        /** Schedules the periodic check (kept if already scheduled). */
        fun schedule(context: Context) {
            val request = PeriodicWorkRequestBuilder<NewsWorker>(15, TimeUnit.MINUTES)
                .setConstraints(Constraints.Builder().setRequiredNetworkType(NetworkType.CONNECTED).build())
                .build()
            WorkManager.getInstance(context).enqueueUniquePeriodicWork(NAME, ExistingPeriodicWorkPolicy.KEEP, request)
        }
    }
}
