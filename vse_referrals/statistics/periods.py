"""The period a statistics report covers, chosen in the URL (so a view can be shared)."""

import datetime
from dataclasses import dataclass

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# A custom period is shown month by month: more months than this would make unreadable charts.
MAX_MONTHS = 60
FIRST_YEAR = 2000


@dataclass(frozen=True)
class Period:
    """Referrals sent from `start` (included) to `end` (excluded): first days of months, local."""

    start: datetime.date
    end: datetime.date
    label: str
    slug: str

    def bounds(self):
        """(start, end) as aware datetimes, at midnight in the site's time zone."""
        return local_midnight(self.start), local_midnight(self.end)

    def month_ends(self):
        """Where each month of the period but the last ends, as `bounds` (the next one's start)."""
        return [local_midnight(month) for month in self.months()][1:]

    def months(self):
        """The first day of every month of the period."""
        month = self.start
        while month < self.end:
            yield month
            month = _next_month(month)


def local_midnight(day):
    """Midnight starting `day` in the site's time zone: the network's months, whoever is looking
    (the running counts of closed referrals are kept by those months)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min), timezone.get_default_timezone())


def _next_month(day):
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def _add_months(day, months):
    for _month in range(months):
        day = _next_month(day)
    return day


def quarters():
    """The quarters' names in the language of the request (a callable: "%" on a lazy string would
    fix them in the language active when the module was imported)."""
    return [(number, gettext("Quarter %(number)s") % {"number": number}) for number in range(1, 5)]


MONTH_INPUT = forms.DateInput(attrs={"type": "month", "placeholder": "2026-01"}, format="%Y-%m")


class PeriodForm(forms.Form):
    KINDS = (("month", _("Month")), ("quarter", _("Quarter")), ("year", _("Year")), ("custom", _("Custom")))

    period = forms.ChoiceField(label=_("Period"), choices=KINDS, required=False)
    year = forms.IntegerField(label=_("Year"), required=False)
    month = forms.TypedChoiceField(label=_("Month"), choices=list(MONTHS.items()), coerce=int, required=False)
    quarter = forms.TypedChoiceField(label=_("Quarter"), choices=quarters, coerce=int, required=False)
    # Whole months, as every period: the counts kept after the retention purge are by month.
    start = forms.DateField(label=_("From month"), required=False, input_formats=["%Y-%m"], widget=MONTH_INPUT)
    end = forms.DateField(label=_("To month (included)"), required=False, input_formats=["%Y-%m"], widget=MONTH_INPUT)

    def __init__(self, data=None, *, today=None):
        self.today = today or timezone.localdate()
        self.fields_initial = {"period": "year", "year": self.today.year, "month": self.today.month}
        self.fields_initial["quarter"] = (self.today.month - 1) // 3 + 1
        # An address without any period field is the default view: this year so far.
        bound = data if data is not None and any(data.get(name) for name in self.base_fields) else None
        super().__init__(bound, initial=self.fields_initial)
        year = self.fields["year"]
        year.validators = [*year.validators, MinValueValidator(FIRST_YEAR), MaxValueValidator(self.today.year)]
        year.widget.attrs.update(min=FIRST_YEAR, max=self.today.year)

    def clean(self):
        data = super().clean()
        kind = data.get("period") or "year"
        data["period"] = kind
        for name in ("year", "month", "quarter"):
            if data.get(name) in (None, ""):
                data[name] = self.fields_initial[name]
        if kind == "custom":
            start, end = data.get("start"), data.get("end")
            if not start or not end:
                raise forms.ValidationError(gettext("A custom period needs a first and a last month."))
            if end < start:
                raise forms.ValidationError(gettext("The last month of the period is before its first month."))
            if _add_months(start, MAX_MONTHS) <= end:
                raise forms.ValidationError(
                    gettext("A custom period can cover at most %(months)s months.") % {"months": MAX_MONTHS}
                )
        return data

    def get_period(self):
        """The chosen period (call after `is_valid`), or the default one for an unbound form."""
        data = self.cleaned_data if self.is_bound else {"period": "year", **self.fields_initial}
        kind, year = data["period"], data["year"]
        if kind == "month":
            start = datetime.date(year, data["month"], 1)
            end = _next_month(start)
            label = date_format(start, "YEAR_MONTH_FORMAT")
            slug = f"{start:%Y-%m}"
        elif kind == "quarter":
            start = datetime.date(year, 3 * data["quarter"] - 2, 1)
            end = _add_months(start, 3)
            label = gettext("Quarter %(number)s %(year)s") % {"number": data["quarter"], "year": year}
            slug = f"{year}-q{data['quarter']}"
        elif kind == "year":
            start, end = datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1)
            label, slug = str(year), str(year)
        else:
            start, end = data["start"], _next_month(data["end"])
            label = gettext("%(start)s to %(end)s") % {
                "start": date_format(start, "YEAR_MONTH_FORMAT"),
                "end": date_format(data["end"], "YEAR_MONTH_FORMAT"),
            }
            slug = f"{start:%Y-%m}-{data['end']:%Y-%m}"
        return Period(start, end, label, slug)
