package org.fieldgrid.app

import android.content.Context
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import android.util.Base64
import java.security.KeyStore
import java.security.SecureRandom
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * A secret kept on disk wrapped (AES-GCM) by a non-exportable Android Keystore
 * key named [alias]: the store key never leaves the device in the clear.
 */
class KeystoreSecret(context: Context, private val alias: String) {
    private val prefs = context.getSharedPreferences("secrets", Context.MODE_PRIVATE)

    private fun wrappingKey(): SecretKey {
        val ks = KeyStore.getInstance("AndroidKeyStore").apply { load(null) }
        (ks.getKey(alias, null) as? SecretKey)?.let { return it }
        val gen = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, "AndroidKeyStore")
        gen.init(
            KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                .setKeySize(256)
                .build(),
        )
        return gen.generateKey()
    }

    /** The stored secret, or a new random 32-byte one (stored). */
    fun getOrCreate(): ByteArray = read() ?: ByteArray(32).also { SecureRandom().nextBytes(it); write(it) }

    fun read(): ByteArray? {
        val stored = prefs.getString(alias, null) ?: return null
        val bytes = Base64.decode(stored, Base64.NO_WRAP)
        val cipher = Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(Cipher.DECRYPT_MODE, wrappingKey(), GCMParameterSpec(128, bytes, 0, 12))
        return cipher.doFinal(bytes, 12, bytes.size - 12)
    }

    fun write(secret: ByteArray) {
        val cipher = Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(Cipher.ENCRYPT_MODE, wrappingKey())
        val sealed = cipher.iv + cipher.doFinal(secret)
        prefs.edit().putString(alias, Base64.encodeToString(sealed, Base64.NO_WRAP)).apply()
    }

    fun delete() = prefs.edit().remove(alias).apply()
}
