"""Issue 16: a keyed MAC on every record (added empty, backfilled by 0004,
enforced by 0005) and the signed checkpoints' own table — with no foreign key
to the records, so that TRUNCATE … CASCADE of the records leaves it alone."""

import importlib

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def restore_sqlite_guard(apps, schema_editor):
    """Going back to 0002 on SQLite: the table rebuilds below (undone in
    reverse) drop the triggers; put them back last."""
    if schema_editor.connection.vendor == "sqlite":
        guard = importlib.import_module("lms.archive.migrations.0002_append_only_triggers")
        for sql in guard.SQLITE_DOWN + guard.SQLITE_UP:
            schema_editor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ('archive', '0002_append_only_triggers'),
        ('workforce', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, restore_sqlite_guard),
        migrations.CreateModel(
            name='ArchiveCheckpoint',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField(verbose_name='日期')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='签署时间')),
                ('total', models.PositiveIntegerField(verbose_name='记录总数')),
                ('key_id', models.CharField(max_length=16, verbose_name='签名密钥编号')),
                ('payload', models.TextField(verbose_name='签名内容')),
                ('sha256', models.CharField(max_length=64, unique=True)),
                ('signature', models.CharField(max_length=128, verbose_name='签名')),
            ],
            options={
                'verbose_name': '档案检查点',
                'verbose_name_plural': '档案检查点',
                'ordering': ['enterprise', '-day'],
            },
        ),
        migrations.AddField(
            model_name='trainingrecord',
            name='mac',
            field=models.CharField(blank=True, default='', editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name='trainingrecord',
            name='mac_key_id',
            field=models.CharField(blank=True, default='', editable=False, max_length=16),
        ),
        migrations.AddField(
            model_name='archivecheckpoint',
            name='enterprise',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='workforce.enterprise', verbose_name='企业'),
        ),
        migrations.AddConstraint(
            model_name='archivecheckpoint',
            constraint=models.UniqueConstraint(fields=('enterprise', 'day'), name='checkpoint_one_per_enterprise_day'),
        ),
    ]
