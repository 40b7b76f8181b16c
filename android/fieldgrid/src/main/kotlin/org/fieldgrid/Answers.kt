package org.fieldgrid

import org.fieldgrid.ffi.FieldEntry
import org.fieldgrid.ffi.FieldValueInfo

/** An answer for a text, date, single-choice, ID-card or phone field. */
fun answer(key: String, value: String) = FieldEntry(key, FieldValueInfo.Text(value))

/** An answer for an integer field. */
fun answer(key: String, value: Long) = FieldEntry(key, FieldValueInfo.Int(value))

/** An answer for a decimal field. */
fun answer(key: String, value: Double) = FieldEntry(key, FieldValueInfo.Decimal(value))

/** An answer for a yes/no field. */
fun answer(key: String, value: Boolean) = FieldEntry(key, FieldValueInfo.Bool(value))

/** An answer for a multiple-choice (or photos) field. */
fun answer(key: String, codes: List<String>) = FieldEntry(key, FieldValueInfo.Choices(codes))

/** Clears a field. */
fun cleared(key: String) = FieldEntry(key, null)

/** A saved answer's text, or null. */
fun List<FieldEntry>.text(key: String): String? =
    (firstOrNull { it.key == key }?.value as? FieldValueInfo.Text)?.value
