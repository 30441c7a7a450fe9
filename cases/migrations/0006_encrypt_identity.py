"""Identity and phone numbers encrypted at rest (welfare/crypto.py), step 1: the blind-index columns,
the columns become text (ciphertext is longer than the number), the uniqueness of identity numbers
moves to the index (0007, once the rows are encrypted)."""

import welfare.fields
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0005_protection'),
        ('welfare', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='child',
            name='child_id_number_unique',
        ),
        migrations.AddField(
            model_name='child',
            name='id_number_index',
            field=welfare.fields.BlindIndexField(blank=True, null=True, purpose='id_number', source='id_number'),
        ),
        migrations.AddField(
            model_name='child',
            name='id_number_tail',
            field=welfare.fields.BlindIndexField(blank=True, null=True, purpose='id_number_tail', source='id_number', tail=4),
        ),
        migrations.AddField(
            model_name='guardian',
            name='id_number_index',
            field=welfare.fields.BlindIndexField(blank=True, purpose='id_number', source='id_number'),
        ),
        migrations.AddField(
            model_name='guardian',
            name='phone_index',
            field=welfare.fields.BlindIndexField(blank=True, purpose='phone', source='phone'),
        ),
        migrations.AlterField(
            model_name='child',
            name='id_number',
            field=welfare.fields.EncryptedCharField(blank=True, max_length=18, null=True, verbose_name='identity number'),
        ),
        migrations.AlterField(
            model_name='guardian',
            name='id_number',
            field=welfare.fields.EncryptedCharField(blank=True, max_length=18, verbose_name='identity number'),
        ),
        migrations.AlterField(
            model_name='guardian',
            name='phone',
            field=welfare.fields.EncryptedCharField(blank=True, max_length=20, verbose_name='phone'),
        ),
        migrations.AlterField(
            model_name='historicalchild',
            name='id_number',
            field=welfare.fields.EncryptedCharField(blank=True, max_length=18, null=True, verbose_name='identity number'),
        ),
        migrations.AlterField(
            model_name='historicalguardian',
            name='id_number',
            field=welfare.fields.EncryptedCharField(blank=True, max_length=18, verbose_name='identity number'),
        ),
        migrations.AlterField(
            model_name='historicalguardian',
            name='phone',
            field=welfare.fields.EncryptedCharField(blank=True, max_length=20, verbose_name='phone'),
        ),
    ]
